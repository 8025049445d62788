import { type Kysely, sql } from 'kysely';

/**
 * The risk engine: rules as versioned data, the rule-set version every process polls and
 * listens for, decisions with their signals, bucketed velocity counters and the per-card /
 * per-device memory used for impossible travel and device familiarity. See docs/risk.md.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const ruleColumns = sql`
    rule_id text not null,
    version integer not null check (version >= 1),
    name text not null,
    description text,
    enabled boolean not null,
    priority integer not null check (priority between 0 and 10000),
    applies_to text[] not null check (cardinality(applies_to) >= 1
      and applies_to <@ array['provisioning', 'push_redemption', 'detokenization']::text[]),
    conditions jsonb not null,
    outcome text not null check (outcome in ('step_up', 'decline', 'flag')),
    reason_code text not null,
    created_at timestamptz not null,
    created_by text not null`;
  await sql`create table risk_rules (${ruleColumns}, primary key (rule_id))`.execute(db);
  await sql`create table risk_rule_versions (${ruleColumns}, primary key (rule_id, version))`.execute(db);
  // History is append-only: a published version is evidence of what the engine ran.
  await sql`
    create function risk_rule_versions_guard() returns trigger language plpgsql as $$
    begin
      raise exception 'risk rule versions are append-only';
    end $$`.execute(db);
  await sql`create trigger risk_rule_versions_append_only before update or delete on risk_rule_versions
    for each row execute function risk_rule_versions_guard()`.execute(db);

  await sql`create table risk_rule_set (
    id smallint primary key check (id = 1),
    version bigint not null check (version >= 1),
    updated_at timestamptz not null)`.execute(db);

  await sql`create table risk_decisions (
    pk bigserial primary key,
    decision_id text not null unique,
    kind text not null check (kind in ('provisioning', 'push_redemption', 'detokenization')),
    risk_outcome text not null check (risk_outcome in ('approve', 'step_up', 'decline')),
    outcome text not null check (outcome in ('approve', 'step_up', 'decline')),
    reason_codes text[] not null,
    fired_rules jsonb not null,
    rule_set_version bigint not null,
    score integer not null check (score between 0 and 100),
    signals jsonb not null,
    issuer_decision jsonb,
    token_ref text,
    card_ref text,
    client_id text,
    created_at timestamptz not null default now())`.execute(db);
  // Dry-runs replay the newest decisions first.
  await sql`create index risk_decisions_created_at on risk_decisions (created_at desc)`.execute(db);

  // One row per (counter, 10-minute bucket); the primary key is the only index the hot path needs.
  await sql`create table risk_velocity (
    key text not null,
    bucket timestamptz not null,
    count integer not null,
    primary key (key, bucket))`.execute(db);
  // Pruning old buckets scans by time.
  await sql`create index risk_velocity_bucket on risk_velocity (bucket)`.execute(db);

  await sql`create table risk_card_state (
    card_key text primary key,
    last_event_at timestamptz,
    last_lat double precision,
    last_lon double precision,
    last_country text,
    last_suspended_at timestamptz)`.execute(db);

  await sql`create table risk_device_links (
    device_key text not null,
    account_key text not null,
    card_key text not null,
    first_seen_at timestamptz not null,
    last_seen_at timestamptz not null,
    primary key (device_key, account_key, card_key))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['risk_device_links', 'risk_card_state', 'risk_velocity', 'risk_decisions', 'risk_rule_set', 'risk_rule_versions', 'risk_rules']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
  await sql`drop function if exists risk_rule_versions_guard()`.execute(db);
}
