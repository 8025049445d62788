-- Fills audit_entries month partitions with chained, realistically sized rows (owner only).
create or replace procedure fill_month(month_start timestamptz, n bigint, pk_from bigint) language plpgsql as $$
declare
  part text := 'audit_entries_y' || to_char(month_start, 'YYYY') || 'm' || to_char(month_start, 'MM');
  month_end timestamptz := month_start + interval '1 month';
  step interval := (month_end - month_start) / greatest(n, 1);
begin
  if to_regclass(part) is not null then
    execute format('alter table audit_entries detach partition %I', part);
    execute format('drop table %I', part);
  end if;
  execute format('create table %I (like audit_entries including defaults including constraints)', part);
  execute format($f$insert into %I (pk, id, seq, at, actor, action, subject_type, subject_id, outcome, details, request_id, prev_hash, hash)
    select g, 'aud_' || substr(md5(g::text), 1, 16), g, %L::timestamptz + (g - %s) * %L::interval,
      jsonb_build_object('type', 'client', 'clientId', 'cli_acq_' || lpad((g %% 40)::text, 12, '0')),
      'token.detokenized', 'token', 'tok_' || substr(md5((g %% 10000000)::text), 1, 20), 'success',
      jsonb_build_object('merchantId', '898310048160001', 'channel', 'nfc', 'atc', (g %% 65000) + 1, 'decisionId', 'rd_' || substr(md5(g::text), 17, 16)),
      'req_' || substr(md5((g + 1)::text), 1, 20), md5(g::text) || md5((g - 1)::text), md5((g + 7)::text) || md5(g::text)
    from generate_series(%s::bigint, %s::bigint) g$f$, part, month_start, pk_from, step, pk_from, pk_from + n - 1);
  execute format('alter table audit_entries attach partition %I for values from (%L) to (%L)', part, month_start, month_end);
end $$;
-- Cheaper: a month copied from a template table (same rows, `at` moved, pk and seq offset).
create or replace procedure fill_month_copy(month_start timestamptz, pk_offset bigint) language plpgsql as $$
declare
  part text := 'audit_entries_y' || to_char(month_start, 'YYYY') || 'm' || to_char(month_start, 'MM');
  month_end timestamptz := month_start + interval '1 month';
begin
  if to_regclass(part) is not null then
    execute format('alter table audit_entries detach partition %I', part);
    execute format('drop table %I', part);
  end if;
  execute format('create table %I (like audit_entries including defaults including constraints)', part);
  execute format($f$insert into %I (pk, id, seq, at, actor, action, subject_type, subject_id, outcome, details, request_id, prev_hash, hash)
    select pk + %s, id, seq + %s, %L::timestamptz + (at - t0) * 0.9, actor, action, subject_type, subject_id, outcome, details, request_id, prev_hash, hash
    from audit_template, (select min(at) as t0 from audit_template) m$f$, part, pk_offset, pk_offset, month_start);
  execute format('alter table audit_entries attach partition %I for values from (%L) to (%L)', part, month_start, month_end);
end $$;
