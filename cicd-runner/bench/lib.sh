# Shared by the bench scripts (sourced, not run).

# bench_init NAME: a work directory (work=$TMPDIR/cicd-NAME.XXXXXX), no etcd (etcd_pid) nor runners (the
# associative array pid) yet, and bench_cleanup on exit.
bench_init() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/cicd-$1.XXXXXX")
  etcd_pid=
  declare -gA pid=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# bench_cleanup: stops the runners in pid and etcd ($etcd_pid), and removes $work unless KEEP=1.
bench_cleanup() {
  local r
  for r in "${!pid[@]}"; do kill "${pid[$r]}" 2>/dev/null || true; done
  for r in "${!pid[@]}"; do wait "${pid[$r]}" 2>/dev/null || true; done
  [ -n "$etcd_pid" ] && kill "$etcd_pid" 2>/dev/null && wait "$etcd_pid" 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# unpack_dist WORK TARBALL: unpacks the distribution into WORK; sets home (its directory) and the CDS dir.
unpack_dist() {
  tar -xzf "$2" -C "$1"
  home=$(ls -d "$1"/cicd-*/)
  export CICD_CDS_DIR=$1/cds
}

# start_etcd WORK [PORT PEER_PORT]: a one-member etcd on 127.0.0.1 (free ports unless given), data and log in
# WORK; sets ep, etcd_pid and etcd_ports ("PORT PEER_PORT"), and waits until it answers.
start_etcd() {
  local work="$1" port="${2:-}" peer="${3:-}" i
  [ -n "$port" ] || read -r port peer < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')
  etcd_ports="$port $peer"
  ep=http://127.0.0.1:$port
  etcd --name bench --data-dir "$work/etcd" --listen-client-urls "$ep" --advertise-client-urls "$ep" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" > "$work/etcd.log" 2>&1 &
  etcd_pid=$!
  for i in $(seq 1 100); do
    etcdctl --endpoints "$ep" endpoint health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "etcd did not start: $work/etcd.log" >&2
  exit 2
}

# sharded_config WORK: the bench's runner config (WORK/cicd.yaml, group bench of 64 shards, one shell watch over
# /cicd/bench/* running `true`, status records kept) for etcd at $ep.
sharded_config() {
  echo ': {{ data.n }}' > "$1/plan.peb"
  cat > "$1/cicd.yaml" <<YAML
etcd: {endpoints: [$ep]}
runner:
  group: bench
  shards: 64
  electionTtl: 5s
  statusRetention: {maxPerWatch: 1000000}
watches:
  - name: bench
    prefix: /cicd/bench
    template: plan.peb
    action: {shell: {command: ["true"]}}
    timeout: 30s
YAML
}

# py ARGS: bench.py against $ep (puts, status records, owners, replay)
py() { python3 "$bench_dir/bench.py" "$ep" "$@"; }
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# start_runners WORK: one `bin/cicd run` of $home per id in the array runners (CICD_RUNNER_ID), logs WORK/<id>.log,
# pids in the associative array pid; JAVA_OPTS is the bench's RUNNER_JAVA_OPTS (default none).
start_runners() {
  local r
  for r in "${runners[@]}"; do
    CICD_RUNNER_ID=$r JAVA_OPTS="${RUNNER_JAVA_OPTS:-}" "$home/bin/cicd" run -c "$1/cicd.yaml" >> "$1/$r.log" 2>&1 &
    pid[$r]=$!
  done
}

# stop_runners: SIGTERM to each runner, then waits for them.
stop_runners() {
  local r
  for r in "${runners[@]}"; do kill "${pid[$r]}"; done
  for r in "${runners[@]}"; do wait "${pid[$r]}" || true; done
  pid=()
}
