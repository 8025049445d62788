#!/usr/bin/env bash
# Measures the durable floor (durable-floor.sql) with pgbench over a matrix of Postgres
# settings, on a scratch Postgres of your own (it restarts it): docs/operations.md,
# "Postgres settings". Rounds are interleaved (every point once per round), so load from
# other work on the machine spreads over all points; report the median per point.
#   PGDATA=/path/to/cluster PGPORT=7810 ROUNDS=3 SECONDS_PER_POINT=8 bench/pg-settings-matrix.sh > out.csv
set -euo pipefail
: "${PGDATA:?set PGDATA to the scratch cluster data directory}"
PGPORT="${PGPORT:-7810}"; ROUNDS="${ROUNDS:-3}"; SECS="${SECONDS_PER_POINT:-8}"; ROWS="${ROWS:-100000}"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
HERE="$(cd "$(dirname "$0")" && pwd)"
PSQL=(psql -h 127.0.0.1 -p "$PGPORT" -U postgres -X -q -v ON_ERROR_STOP=1)
as_owner() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
restart() { as_owner "$PGBIN/pg_ctl -D $PGDATA -w -m fast restart -l $PGDATA/../server.log" >/dev/null; }
set_conf() { # name value (ALTER SYSTEM; the caller restarts or reloads)
  "${PSQL[@]}" -d postgres -c "alter system set $1 = '$2'"
}
"${PSQL[@]}" -d postgres -c 'drop database if exists durable_floor' -c 'create database durable_floor'
"${PSQL[@]}" -d durable_floor -v rows="$ROWS" -f "$HERE/durable-floor-setup.sql" >/dev/null
point() { # config clients delay round
  local out tps
  "${PSQL[@]}" -d postgres -c "alter system set commit_delay = $3" -c 'select pg_reload_conf()' >/dev/null
  out=$(pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -n -M prepared -c "$2" -j 2 -T "$SECS" -D rows="$ROWS" \
        -f "$HERE/durable-floor.sql" durable_floor 2>&1)
  tps=$(grep -oP 'tps = \K[0-9.]+(?= \(without)' <<<"$out")
  lat=$(grep -oP 'latency average = \K[0-9.]+' <<<"$out")
  echo "$1,$2,$3,$4,$tps,$lat,$(cut -d' ' -f1 /proc/loadavg)"
}
echo "config,clients,commit_delay_us,round,tps,latency_ms,load1"
CONFIGS=(${CONFIGS:-tuned default})
for round in $(seq 1 "$ROUNDS"); do
  for config in "${CONFIGS[@]}"; do
    case $config in
      tuned) set_conf shared_buffers 1GB; set_conf wal_buffers 16MB; set_conf max_connections 200 ;;
      default) set_conf shared_buffers 128MB; set_conf wal_buffers -1; set_conf max_connections 100 ;;
    esac
    restart
    for clients in ${CLIENTS:-8 16 32 64}; do
      for delay in ${DELAYS:-0 200 1000}; do
        [ "$config" = default ] && [ "$delay" != 0 ] && continue
        point "$config" "$clients" "$delay" "$round"
      done
    done
  done
done
"${PSQL[@]}" -d postgres -c 'alter system set commit_delay = 0' -c 'select pg_reload_conf()' >/dev/null
