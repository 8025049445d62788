#!/usr/bin/env bash
# Does the durable floor slow down as the audit log grows (docs/scaling.md)? Fills a scratch
# database's audit_entries with TOTAL rows: CURRENT in this month's partition, the rest spread
# over the 12 previous months. Then, interleaved for ROUNDS rounds, on the same server in the
# same minutes: the durable floor into a small audit table (control) and into audit_entries,
# once with all 13 months attached (TOTAL rows) and once with the 12 old months detached
# (CURRENT rows; detach/attach are metadata only). Prints a CSV; drops the database at the end.
#   bash bench/audit-growth/run.sh [TOTAL=50000000] [CURRENT=1000000] [ROUNDS=3] [SECONDS=10]
# DATABASE_URL: the server (default the local Postgres); only 127.0.0.1. Needs psql, pgbench.
set -euo pipefail
TOTAL=${1:-50000000}; CURRENT=${2:-1000000}; ROUNDS=${3:-3}; SECONDS_EACH=${4:-10}
CONNECTIONS=${CONNECTIONS:-20}
here=$(cd "$(dirname "$0")" && pwd); tsp=$(cd "$here/../.." && pwd)
server=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db=opentsp_audit_growth
url="${server%/*}/$db"
psql -qX "$server" -c "drop database if exists $db" -c "create database $db"
trap 'psql -qX "$server" -c "drop database if exists $db" >/dev/null 2>&1 || true' EXIT
DATABASE_URL="$url" "$tsp/bin/opentsp" migrate >/dev/null
psql -qX "$url" -f "$here/fill.sql"
psql -qX "$url" -v rows=100000 -f "$tsp/bench/durable-floor-setup.sql"
months=()
for i in $(seq 12 -1 0); do months+=("$(date -u -d "$(date -u +%Y-%m-01) -$i month" +%Y-%m-01)"); done
old_rows=$(( (TOTAL - CURRENT) / 12 ))
start=$(date +%s); pk=1; plan=()
for m in "${months[@]}"; do
  n=$old_rows; [ "$m" = "${months[12]}" ] && n=$CURRENT
  plan+=("call fill_month('$m', $n, $pk)")
  pk=$((pk + n))
done
# Two months at a time (the fill is CPU-bound; their attaches queue on the parent's lock).
printf '%s\n' "${plan[@]}" | xargs -d '\n' -P 2 -I{} psql -qX "$url" -c "{}"
psql -qX "$url" -c "vacuum analyze audit_entries" -c "checkpoint"
echo "# filled $((pk - 1)) rows in $(( $(date +%s) - start )) s; on disk: $(psql -qXAt "$url" -c "select pg_size_pretty(sum(pg_total_relation_size(inhrelid))) from pg_inherits where inhparent = 'audit_entries'::regclass")" >&2
part() { echo "audit_entries_y$(date -u -d "$1" +%Y)m$(date -u -d "$1" +%m)"; }
detach_old() { for m in "${months[@]:0:12}"; do echo "alter table audit_entries detach partition $(part "$m");"; done | psql -qX "$url"; }
attach_old() { for m in "${months[@]:0:12}"; do echo "alter table audit_entries attach partition $(part "$m") for values from ('$m') to ('$(date -u -d "$m +1 month" +%Y-%m-%d)');"; done | psql -qX "$url"; }
tps() { pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "$SECONDS_EACH" -D rows=100000 -f "$1" "$url" 2>/dev/null | awk '/^tps/ {print $3; exit}'; }
attached_rows() { psql -qXAt "$url" -c "select sum(c.reltuples)::bigint from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'audit_entries'::regclass"; }
echo "state,round,control_tps,audit_tps,load1"
for r in $(seq 1 "$ROUNDS"); do
  for state in all current; do
    if [ "$state" = current ]; then detach_old; fi
    rows=$(attached_rows)
    control=$(tps "$tsp/bench/durable-floor.sql"); audit=$(tps "$here/insert-into-audit.sql")
    echo "$rows,$r,$control,$audit,$(cut -d' ' -f1 /proc/loadavg)"
    if [ "$state" = current ]; then attach_old; fi
  done
done
