-- Tables of the durable floor (durable-floor.sql): :rows rows of token-like size, and an
-- audit table with a bigserial key, like audit_entries. psql -v rows=N -f durable-floor-setup.sql
drop table if exists durable_floor_rows, durable_floor_audit;
create table durable_floor_rows (id int primary key, counter bigint not null default 0,
  touched_at timestamptz, payload text not null);
insert into durable_floor_rows (id, payload) select g, repeat(md5(g::text), 8) from generate_series(1, :rows) g;
create table durable_floor_audit (pk bigserial primary key, at timestamptz not null, action text not null,
  subject_id int not null, actor jsonb not null, details jsonb not null);
analyze durable_floor_rows;
