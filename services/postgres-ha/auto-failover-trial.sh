#!/usr/bin/env bash
# pg_auto_failover trial: the measured half of "Patroni + etcd + HAProxy or pg_auto_failover?"
# (docs/operations.md). It builds a throwaway pg_auto_failover formation on loopback — one
# monitor, three Postgres 15 nodes, synchronous replication with a quorum of one standby — runs
# a write loop against the multi-host URI that pg_auto_failover hands to clients, and measures:
#   (a) host loss: SIGKILL of the primary's pg_autoctl + postmaster + backends, KILLS times:
#       kill → first acknowledged write on the new primary; restart → old primary secondary again;
#   (b) planned switchover (`pg_autoctl perform switchover`): the write gap;
#   (c) monitor loss: do writes go on with the monitor down, and does a primary kill still fail
#       over while the monitor is down (expected: no — the monitor is the only decision-maker);
#   plus whether node-postgres (`pg`, the TSP's driver) can use the multi-host URI at all.
# Results: services/postgres-ha/auto-failover-trial-results.md.
#
# Usage (as root — pg_autoctl itself refuses root, so every cluster process runs as `postgres`):
#   apt-get install -y postgresql-15-auto-failover
#   bash services/postgres-ha/auto-failover-trial.sh                 # the package's default timings
#   PROFILE=fast bash services/postgres-ha/auto-failover-trial.sh    # timings tuned like our Patroni
#
# Everything lives under TRIAL_DIR (wiped at start, logs kept at the end for reading); ports
# 5460 (monitor) and 5461-5463 (nodes) on 127.0.0.1 only, clear of the Patroni cluster
# (5439-5443) and of the local Postgres (5432). Bounded by MAX_SECONDS; the EXIT trap stops every
# process the script started (by the process groups it recorded, never by name).
set -euo pipefail

TRIAL_DIR=${TRIAL_DIR:-/var/tmp/opentsp-auto-failover}
PROFILE=${PROFILE:-default}          # default | fast
KILLS=${KILLS:-3}                    # how many primary kills in (a)
MAX_SECONDS=${MAX_SECONDS:-900}      # hard bound for the whole run
MONITOR_ONLY_WATCH=${MONITOR_ONLY_WATCH:-15}   # (c) seconds of writes with only the monitor down
NO_MONITOR_WATCH=${NO_MONITOR_WATCH:-60}       # (c) seconds to wait for a failover without monitor
MONITOR_PORT=5460
NODES=(node1 node2 node3)
declare -A PORT=([monitor]=5460 [node1]=5461 [node2]=5462 [node3]=5463)
PG_BIN=/usr/lib/postgresql/15/bin
SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO_ROOT=$(cd "$(dirname "$SELF")/../.." && pwd)
export PGUSER=postgres PGCONNECT_TIMEOUT=2   # the write loop and probes run as root over TCP

# Every pg_autoctl/psql call made on the cluster's behalf runs as `postgres` with its own XDG
# folders, so pg_autoctl's config/state files stay under TRIAL_DIR and not in ~postgres.
# setpriv execs in place (no fork, unlike runuser/su), so `setsid setpriv … pg_autoctl run &`
# leaves $! = pg_autoctl's pid = its process group, which is what the kills and cleanup target.
AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups
  env -i HOME="$TRIAL_DIR/home" XDG_CONFIG_HOME="$TRIAL_DIR/config" XDG_DATA_HOME="$TRIAL_DIR/data"
  XDG_RUNTIME_DIR="$TRIAL_DIR/run" PATH="$PG_BIN:/usr/bin:/bin" LANG=C.UTF-8)

now() { date +%s.%N | cut -c1-14; }              # epoch seconds, ms precision
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
summary() { printf '%s\n' "$*" | tee -a "$TRIAL_DIR/summary.txt"; }

# ---------------------------------------------------------------------------------------------
# The write loop (runs as `bash auto-failover-trial.sh __writer URI LOG` in its own session).
# One new connection + INSERT per ~100 ms through the multi-host URI with
# target_session_attrs=read-write: libpq tries the hosts in turn and keeps the one that accepts
# writes, the way a pg_auto_failover client is meant to connect. Each attempt is bounded by
# `timeout 5` (a synchronous commit can wait on a missing standby longer than connect_timeout).
# Line: <attempt start> <attempt end> ok <server port> | fail <error>.
# ---------------------------------------------------------------------------------------------
if [[ ${1:-} == __writer ]]; then
  uri=$2 out=$3 stop_at=$(( $(date +%s) + MAX_SECONDS ))
  while (( $(date +%s) < stop_at )); do
    s=$(now)
    if r=$(timeout 5 psql -X -qtA -d "$uri" -c \
        "insert into trial_writes(port) values (inet_server_port()) returning port" 2>&1); then
      echo "$s $(now) ok ${r%%$'\n'*}" >>"$out"
    else
      echo "$s $(now) fail $(tr '\n' ' ' <<<"$r" | cut -c1-160)" >>"$out"
    fi
    sleep 0.1
  done
  exit 0
fi

[[ $(id -u) == 0 ]] || die "run as root (it switches to the postgres user for the cluster)"
command -v pg_autoctl >/dev/null || die "pg_autoctl missing: apt-get install -y postgresql-15-auto-failover"
id postgres >/dev/null 2>&1 || die "no postgres user (the postgresql-15 package creates it)"
[[ $TRIAL_DIR == /var/tmp/* || $TRIAL_DIR == /tmp/* ]] || die "TRIAL_DIR must be under /var/tmp or /tmp"
[[ $TRIAL_DIR != /var/tmp/opentsp-ha* ]] || die "TRIAL_DIR must not be the Patroni cluster's folder"
[[ $PROFILE == default || $PROFILE == fast ]] || die "PROFILE is default or fast"
DEADLINE=$(( $(date +%s) + MAX_SECONDS ))
check_deadline() { (( $(date +%s) < DEADLINE )) || die "time bound of ${MAX_SECONDS}s reached"; }

# ---------------------------------------------------------------------------------------------
# Process control. A "service" is one `pg_autoctl run` (monitor or node) in its own session;
# pids/<name> holds its process group. Postgres backends call setsid() themselves, so a host
# loss also kills the postmaster's children explicitly — all in one kill(2) call.
# ---------------------------------------------------------------------------------------------
service_pids() {   # every live process of a service: its group + the postmaster's children
  local name=$1 pgid pm
  pgid=$(cat "$TRIAL_DIR/pids/$name" 2>/dev/null) || return 0
  pgrep -g "$pgid" || true
  pm=$(head -1 "$TRIAL_DIR/$name/postmaster.pid" 2>/dev/null) || true
  [[ -n $pm ]] && [[ $(ps -o user= -p "$pm" 2>/dev/null) == postgres ]] && pgrep -P "$pm" || true
}

start_service() {
  local name=$1
  setsid "${AS_PG[@]}" pg_autoctl run --pgdata "$TRIAL_DIR/$name" \
    >>"$TRIAL_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$TRIAL_DIR/pids/$name"
  disown $!   # no "Killed" job notices from bash when (a) SIGKILLs it
}

kill_service() {   # host loss: SIGKILL everything at once, then wait for the port to close
  local name=$1 victims i
  victims=$(service_pids "$name" | sort -u | tr '\n' ' ')
  [[ -n $victims ]] && kill -KILL $victims 2>/dev/null || true
  for i in $(seq 100); do
    [[ -z $(service_pids "$name") ]] && ! ss -ltnH "sport = :${PORT[$name]}" | grep -q . && return 0
    sleep 0.1
  done
  die "$name still alive after SIGKILL"
}

stop_everything() {
  local rc=$? name pids i
  trap - EXIT
  [[ -f $TRIAL_DIR/pids/writer ]] && kill -TERM -- "-$(cat "$TRIAL_DIR/pids/writer")" 2>/dev/null || true
  for name in node1 node2 node3 monitor; do       # graceful first: pg_autoctl stops Postgres
    [[ -f $TRIAL_DIR/pids/$name ]] && kill -TERM -- "-$(cat "$TRIAL_DIR/pids/$name")" 2>/dev/null || true
  done
  for i in $(seq 150); do
    pids=$(for name in node1 node2 node3 monitor; do service_pids "$name"; done)
    [[ -z $pids ]] && break
    sleep 0.1
  done
  pids=$(for name in node1 node2 node3 monitor writer; do service_pids "$name"; done | sort -u | tr '\n' ' ')
  [[ -n ${pids// } ]] && { log "SIGKILL left-overs: $pids"; kill -KILL $pids 2>/dev/null || true; }
  log "stopped every process of the trial; logs kept in $TRIAL_DIR/logs (exit $rc)"
  exit "$rc"
}

# ---------------------------------------------------------------------------------------------
# Monitor queries.
# ---------------------------------------------------------------------------------------------
autoctl() { (cd "$TRIAL_DIR" && "${AS_PG[@]}" pg_autoctl "$@"); }

state() {   # "<name> <port> <reported state> <assigned state>" per node; empty if no monitor
  autoctl show state --pgdata "$TRIAL_DIR/monitor" --json 2>/dev/null |
    jq -r '.[] | "\(.nodename // .node_name) \(.nodeport // .node_port) \(.current_group_state // .reported_state) \(.assigned_group_state // .goal_state)"' 2>/dev/null || true
}

healthy() {   # one primary, two secondaries, all settled (reported = assigned)
  local s
  s=$(state)
  [[ $(grep -c ' primary primary$' <<<"$s") == 1 && $(grep -c ' secondary secondary$' <<<"$s") == 2 ]]
}

wait_healthy() {
  local limit=$(( $(date +%s) + $1 ))
  until healthy; do
    check_deadline; (( $(date +%s) < limit )) || { state >&2; die "formation not healthy within $1 s"; }
    sleep 0.5
  done
}

wait_node_state() {   # name, state, timeout
  local limit=$(( $(date +%s) + $3 ))
  until state | grep -q "^$1 .* $2 $2\$"; do
    check_deadline; (( $(date +%s) < limit )) || { state >&2; die "$1 not $2 within $3 s"; }
    sleep 0.25
  done
}

primary() { state | awk '$3 == "primary" && $4 == "primary" { print $1, $2; exit }'; }

# ---------------------------------------------------------------------------------------------
# Reading the write log.
# ---------------------------------------------------------------------------------------------
WLOG=$TRIAL_DIR/logs/writes.log
first_ok_after() {   # t0, port to exclude → "<end> <port>" of the first write started after t0
  awk -v t="$1" -v x="$2" '$1 > t && $3 == "ok" && $4 != x { print $2, $4; exit }' "$WLOG"
}
wait_first_ok_after() {   # t0, port to exclude, timeout
  local limit=$(( $(date +%s) + $3 )) r
  while :; do
    r=$(first_ok_after "$1" "$2"); [[ -n $r ]] && { echo "$r"; return 0; }
    (( $(date +%s) < limit )) || return 1
    check_deadline; sleep 0.2
  done
}
last_ok_before() {   # t, port → end time of the last write acknowledged by that port before t
  awk -v t="$1" -v p="$2" '$2 <= t && $3 == "ok" && $4 == p { e = $2 } END { print e }' "$WLOG"
}
count_between() {   # t0, t1, ok|fail
  awk -v a="$1" -v b="$2" -v k="$3" '$1 > a && $1 <= b && $3 == k { n++ } END { print n + 0 }' "$WLOG"
}
first_error_between() {
  awk -v a="$1" -v b="$2" '$1 > a && $1 <= b && $3 == "fail" { $1 = $2 = $3 = ""; print; exit }' "$WLOG" | sed 's/^ *//'
}

# ---------------------------------------------------------------------------------------------
# Set up.
# ---------------------------------------------------------------------------------------------
for p in 5460 5461 5462 5463; do
  ss -ltnH "sport = :$p" | grep -q . && die "port $p is in use"
done
if [[ -d $TRIAL_DIR/pids ]]; then   # a previous run killed hard: stop what it recorded
  for f in "$TRIAL_DIR"/pids/*; do
    [[ -f $f ]] && kill -KILL -- "-$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
fi
rm -rf "$TRIAL_DIR"
mkdir -p "$TRIAL_DIR"/{home,config,data,run,logs,pids}
chown -R postgres:postgres "$TRIAL_DIR"
chmod 700 "$TRIAL_DIR/run"
touch "$WLOG"
trap stop_everything EXIT
trap 'exit 130' INT TERM
T_START=$(now)

summary "pg_auto_failover trial $(date -u +%FT%TZ) profile=$PROFILE kills=$KILLS"
summary "versions: $(pg_autoctl --version | head -1 | sed 's/pg_autoctl //'), package $(dpkg-query -W -f='${Version}' postgresql-15-auto-failover), $("$PG_BIN/postgres" --version)"

log "creating the monitor on 127.0.0.1:$MONITOR_PORT"
# --auth trust / --no-ssl: a loopback-only trial; production would use --ssl-self-signed or certs.
autoctl create monitor --pgdata "$TRIAL_DIR/monitor" --pgport "$MONITOR_PORT" \
  --hostname 127.0.0.1 --auth trust --no-ssl --pgctl "$PG_BIN/pg_ctl" >>"$TRIAL_DIR/logs/create.log" 2>&1
# `create monitor` has no --listen and defaults to listen_addresses='*': keep it on loopback.
autoctl config set --pgdata "$TRIAL_DIR/monitor" postgresql.listen_addresses 127.0.0.1 >/dev/null
if [[ $PROFILE == fast ]]; then
  # Failure detection tuned to be comparable with our Patroni ttl 7 s: health checks every 1 s,
  # one retry, node unhealthy after 5 s without a report. primary_demote_timeout (how long the
  # monitor gives an unreachable primary to demote itself before promoting) must stay above the
  # keepers' network_partition_timeout (the time after which an isolated primary stops itself),
  # or a partitioned primary could still take writes after the promotion: 5 s vs 8 s here.
  cat >>"$TRIAL_DIR/monitor/postgresql.conf" <<'EOF'
pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 5000
pgautofailover.primary_demote_timeout = 8000
EOF
fi
start_service monitor
for i in $(seq 60); do
  psql -X -qtA -h 127.0.0.1 -p "$MONITOR_PORT" -d pg_auto_failover -c 'select 1' >/dev/null 2>&1 && break
  sleep 0.5
done
MONITOR_URI="postgres://autoctl_node@127.0.0.1:$MONITOR_PORT/pg_auto_failover?sslmode=prefer"
psql -X -qtA -h 127.0.0.1 -p "$MONITOR_PORT" -d pg_auto_failover -c \
  "select name || '=' || setting from pg_settings where name like 'pgautofailover.%timeout' or name like 'pgautofailover.health_check%'" \
  | tr '\n' ' ' | sed 's/^/monitor settings: /' | tee -a "$TRIAL_DIR/summary.txt"; echo

for name in "${NODES[@]}"; do
  check_deadline
  log "creating $name on 127.0.0.1:${PORT[$name]}"
  # The first node becomes the primary; the next ones pg_basebackup from it, which needs the
  # primary's keeper running — so each node is started right after it is created.
  autoctl create postgres --pgdata "$TRIAL_DIR/$name" --pgport "${PORT[$name]}" --listen 127.0.0.1 \
    --hostname 127.0.0.1 --name "$name" --monitor "$MONITOR_URI" --auth trust --no-ssl \
    --pgctl "$PG_BIN/pg_ctl" >>"$TRIAL_DIR/logs/create.log" 2>&1
  if [[ $PROFILE == fast ]]; then
    autoctl config set --pgdata "$TRIAL_DIR/$name" timeout.network_partition_timeout 5 >/dev/null
  fi
  start_service "$name"
  if [[ $name == node1 ]]; then wait_node_state node1 single 60; else wait_node_state "$name" secondary 120; fi
done
# Synchronous replication: every commit waits for one standby (ANY 1 of the two).
# pg_autoctl 2.0 (Debian's build) rejects the CLI form with "number-sync-standbys value 1 is
# not valid. Expected a non-negative integer value." whatever the argument order (upstream
# issue #929); the monitor's SQL function behind it works, so fall back to that.
if ! autoctl set formation number-sync-standbys --pgdata "$TRIAL_DIR/monitor" --formation default 1 \
    >>"$TRIAL_DIR/logs/create.log" 2>&1; then
  summary "note: 'pg_autoctl set formation number-sync-standbys 1' failed: $(grep -o 'ERROR.*' "$TRIAL_DIR/logs/create.log" | tail -1); used pgautofailover.set_formation_number_sync_standbys() on the monitor instead"
  psql -X -qtA -h 127.0.0.1 -p "$MONITOR_PORT" -d pg_auto_failover \
    -c "select pgautofailover.set_formation_number_sync_standbys('default', 1)" >/dev/null
fi
wait_healthy 60
state | sed 's/^/state: /' >&2

URI=$(autoctl show uri --pgdata "$TRIAL_DIR/monitor" --formation default | grep -o 'postgres://[^ ]*target_session_attrs[^ ]*' | head -1 || true)
[[ $URI == postgres://* ]] || die "no formation URI: $URI"
summary "formation URI: $URI"
read -r P_NAME P_PORT < <(primary)
psql -X -q -d "$URI" -c "create table if not exists trial_writes (id bigserial primary key, at timestamptz not null default clock_timestamp(), port int)"
psql -X -qtA -d "$URI" -c "show synchronous_standby_names" | sed 's/^/synchronous_standby_names on the primary: /' | tee -a "$TRIAL_DIR/summary.txt"

# ---------------------------------------------------------------------------------------------
# node-postgres and the multi-host URI (the driver the TSP uses). Tried with node1 as primary
# (node1 is also the first host of the list) and again at the end with whatever is primary then.
# ---------------------------------------------------------------------------------------------
pg_check() {
  (cd "$REPO_ROOT/services/tsp" && timeout 20 node -e '
    const { Client } = require("pg");
    const uri = process.argv[1];
    (async () => {
      const version = require("pg/package.json").version;
      let c;
      try {
        c = new Client({ connectionString: uri, user: "postgres", connectionTimeoutMillis: 3000 });
        console.log(`pg ${version}: parsed host=${JSON.stringify(c.host)} port=${c.port}`);
        await c.connect();
        const r = await c.query("select inet_server_port() as port, pg_is_in_recovery() as standby");
        console.log(`pg ${version}: connected to port ${r.rows[0].port} standby=${r.rows[0].standby}`);
        await c.query("insert into trial_writes(port) values (inet_server_port())");
        console.log(`pg ${version}: INSERT ok`);
      } catch (e) {
        console.log(`pg ${version}: ERROR ${e.code || ""} ${e.message}`);
      } finally { if (c) await c.end().catch(() => {}); }
    })();' "$1" 2>&1) | sed "s/^/node-postgres ($2): /" | tee -a "$TRIAL_DIR/summary.txt"
}
pg_check "$URI" "primary $P_NAME"

setsid bash "$SELF" __writer "$URI&connect_timeout=2&application_name=trial-writer" "$WLOG" </dev/null >/dev/null 2>&1 &
echo $! >"$TRIAL_DIR/pids/writer"
sleep 3
(( $(count_between "$T_START" "$(now)" ok) > 0 )) || { tail -3 "$WLOG" >&2; die "write loop does not write"; }

# ---------------------------------------------------------------------------------------------
# (a) Host loss of the primary, KILLS times.
# ---------------------------------------------------------------------------------------------
FAILOVERS=() REJOINS=()
for k in $(seq "$KILLS"); do
  wait_healthy 180
  sleep 3
  read -r P_NAME P_PORT < <(primary)
  log "failover $k: SIGKILL $P_NAME (:$P_PORT) — pg_autoctl, postmaster, backends"
  t0=$(now)
  kill_service "$P_NAME"
  r=$(wait_first_ok_after "$t0" "$P_PORT" 240) || die "no write on a new primary within 240 s of killing $P_NAME"
  read -r tw new_port <<<"$r"
  last=$(last_ok_before "$t0" "$P_PORT")
  gap=$(sub "$tw" "$t0")
  FAILOVERS+=("$gap")
  fails=$(count_between "$t0" "$tw" fail)
  log "failover $k: first write on :$new_port $gap s after the kill; restarting $P_NAME"
  t1=$(now)
  start_service "$P_NAME"
  wait_node_state "$P_NAME" secondary 240
  rejoin=$(sub "$(now)" "$t1")
  REJOINS+=("$rejoin")
  summary "failover $k: SIGKILL primary $P_NAME (:$P_PORT) → first acknowledged write on :$new_port after $gap s (write gap $(sub "$tw" "${last:-$t0}") s, $fails failed attempts, first error: $(first_error_between "$t0" "$tw" | cut -c1-90)); $P_NAME restarted → secondary after $rejoin s"
done

# ---------------------------------------------------------------------------------------------
# (b) Planned switchover.
# ---------------------------------------------------------------------------------------------
wait_healthy 180
sleep 3
read -r P_NAME P_PORT < <(primary)
log "switchover from $P_NAME (:$P_PORT)"
t0=$(now)
autoctl perform switchover --pgdata "$TRIAL_DIR/monitor" --formation default >>"$TRIAL_DIR/logs/switchover.log" 2>&1 \
  || die "perform switchover failed: $(tail -3 "$TRIAL_DIR/logs/switchover.log")"
t_cmd=$(now)
r=$(wait_first_ok_after "$t0" "$P_PORT" 120) || die "no write on the new primary after the switchover"
read -r tw new_port <<<"$r"
last=$(last_ok_before "$tw" "$P_PORT")
SWITCH_GAP=$(sub "$tw" "${last:-$t0}")
summary "switchover: $P_NAME (:$P_PORT) → :$new_port; write gap (last write on old primary → first on new) $SWITCH_GAP s, $(count_between "$t0" "$tw" fail) failed attempts; command returned after $(sub "$t_cmd" "$t0") s; first write on new primary $(sub "$tw" "$t0") s after the command started"

# ---------------------------------------------------------------------------------------------
# (c) Monitor loss, then primary loss while the monitor is down.
# ---------------------------------------------------------------------------------------------
wait_healthy 180
sleep 3
read -r P_NAME P_PORT < <(primary)
log "monitor loss: SIGKILL the monitor, watch writes for $MONITOR_ONLY_WATCH s"
t0=$(now)
kill_service monitor
sleep "$MONITOR_ONLY_WATCH"
t1=$(now)
MON_OK=$(count_between "$t0" "$t1" ok) MON_FAIL=$(count_between "$t0" "$t1" fail)
summary "monitor down (primary $P_NAME alive): $MON_OK writes acknowledged, $MON_FAIL failed over $MONITOR_ONLY_WATCH s"

log "monitor still down: SIGKILL primary $P_NAME, wait $NO_MONITOR_WATCH s for a failover"
kill_service "$P_NAME"
t2=$(now)
sleep "$NO_MONITOR_WATCH"
t3=$(now)
NOMON_OK=$(count_between "$t2" "$t3" ok)
roles=""
for name in "${NODES[@]}"; do
  [[ $name == "$P_NAME" ]] && continue
  roles+="$name pg_is_in_recovery=$(psql -X -qtA -h 127.0.0.1 -p "${PORT[$name]}" -d postgres -c 'select pg_is_in_recovery()' 2>&1 | head -1); "
done
summary "monitor down + primary $P_NAME killed: $NOMON_OK writes acknowledged in the next $NO_MONITOR_WATCH s ($(count_between "$t2" "$t3" fail) failed: $(first_error_between "$t2" "$t3" | cut -c1-80)); survivors: $roles"

log "restarting the monitor"
t4=$(now)
start_service monitor
r=$(wait_first_ok_after "$t4" "$P_PORT" 240) || die "no failover within 240 s of the monitor's return"
read -r tw new_port <<<"$r"
summary "monitor restarted → first write on :$new_port after $(sub "$tw" "$t4") s (writes were down $(sub "$tw" "$t2") s in all since the primary kill)"
t5=$(now)
start_service "$P_NAME"
wait_node_state "$P_NAME" secondary 240
summary "old primary $P_NAME restarted → secondary after $(sub "$(now)" "$t5") s"
wait_healthy 120

read -r P_NAME P_PORT < <(primary)
pg_check "$URI" "primary $P_NAME"
autoctl show events --pgdata "$TRIAL_DIR/monitor" --count 80 >"$TRIAL_DIR/logs/events.txt" 2>&1 || true

stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1; s += $1 } END { printf "min %.1f s, median %.1f s, max %.1f s, mean %.1f s (n=%d)", v[1], v[int((NR + 1) / 2)], v[NR], s / NR, NR }'; }
summary "SUMMARY profile=$PROFILE: primary SIGKILL → first write: ${FAILOVERS[*]} s ($(stats "${FAILOVERS[@]}")); killed node restart → secondary: ${REJOINS[*]} s; switchover write gap $SWITCH_GAP s; monitor down: writes go on ($MON_OK ok / $MON_FAIL failed), primary kill without monitor → $NOMON_OK writes in $NO_MONITOR_WATCH s (no failover until the monitor is back); total run $(sub "$(now)" "$T_START") s"
