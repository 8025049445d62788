-- `n` chained, realistically sized audit rows into `target` (the partitioned table or one
-- month's table), pk and seq from `pk_from`, at `from_at` + i × `step` (owner only). The
-- hashes are not real: the rows weigh what the TSP's do, they do not verify.
create or replace procedure insert_audit_rows(target text, from_at timestamptz, step interval, n bigint, pk_from bigint) language plpgsql as $$
begin
  execute format($f$insert into %I (pk, id, seq, at, actor, action, subject_type, subject_id, outcome, details, request_id, prev_hash, hash)
    select g, 'aud_' || substr(md5(g::text), 1, 16), g, %L::timestamptz + (g - %s) * %L::interval,
      jsonb_build_object('type', 'client', 'clientId', 'cli_acq_' || lpad((g %% 40)::text, 12, '0')),
      'token.detokenized', 'token', 'tok_' || substr(md5((g %% 10000000)::text), 1, 20), 'success',
      jsonb_build_object('merchantId', '898310048160001', 'channel', 'nfc', 'atc', (g %% 65000) + 1, 'decisionId', 'rd_' || substr(md5(g::text), 17, 16)),
      'req_' || substr(md5((g + 1)::text), 1, 20), md5(g::text) || md5((g - 1)::text), md5((g + 7)::text) || md5(g::text)
    from generate_series(%s::bigint, %s::bigint) g$f$, target, from_at, pk_from, step, pk_from, pk_from + n - 1);
end $$;

-- One month of the audit log filled with chained, realistically sized rows (owner only), as a
-- table of its own with the month's CHECK constraint, then attached: the attach builds the
-- partition's indexes once, and later detach/attach rounds are metadata only (the CHECK spares
-- the attach its scan). `n` rows spread evenly over the month; pk and seq from `pk_from`.
create or replace procedure fill_month(month_start timestamptz, n bigint, pk_from bigint) language plpgsql as $$
declare
  part text := 'audit_entries_y' || to_char(month_start, 'YYYY') || 'm' || to_char(month_start, 'MM');
  month_end timestamptz := month_start + interval '1 month';
  -- A minute short of the month: the step is rounded to microseconds, and n steps of a rounded-up
  -- step would run past the month's end.
  step interval := (month_end - month_start - interval '1 minute') / greatest(n, 1);
begin
  if to_regclass(part) is not null then
    execute format('alter table audit_entries detach partition %I', part);
    execute format('drop table %I', part);
  end if;
  execute format('create table %I (like audit_entries including defaults including constraints)', part);
  call insert_audit_rows(part, month_start, step, n, pk_from);
  execute format('alter table %I add constraint %I check (at >= %L and at < %L)', part, part || '_month', month_start, month_end);
  execute format('alter table audit_entries attach partition %I for values from (%L) to (%L)', part, month_start, month_end);
end $$;
