#!/usr/bin/env bash
# The in-sync catch-up of sharded runners, quickly and again and again: to compare builds (A/B) or JVM flags. A
# script, not a test; reported in docs/benchmarks.md ("catch-up, A/B").
#
#   cicd-runner/bench/catchup.sh [TARBALL...]      (default: the built cicd-runner/target/cicd-*.tar.gz)
#
# Once: one etcd on fixed free ports, the runners of shards.sh's config (group bench, 64 shards, a shell watch over
# /cicd/bench/t<i> running `true`) apply one value on each of TARGETS (10,000) targets, stop; etcd's data directory
# is kept. Then per tarball, TRIES (3) times: etcd restored from that copy, the same values put again (so every
# trigger ends in-sync: nothing runs, what is timed is the runner's own work), RUNNERS (3) runners started (after an
# untimed try that lets the launcher make its class-data archive); prints
# per try the seconds until all 64 shards are owned and until every trigger has its final status record, the
# events/s from all owned, etcd's replay of the same events (etcdctl watch --rev), and per second from all owned
# etcd's puts and its Range / Txn requests and the CPU (1/100 s per s) of etcd and of the runners together.
# RUNNER_JAVA_OPTS: JVM options for the runners. Needs python3, etcd, etcdctl, curl. KEEP=1 keeps the work dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
targets=${TARGETS:-10000}
tries=${TRIES:-3}
runners=()
for i in $(seq 1 "${RUNNERS:-3}"); do runners+=("b$i"); done
tarballs=("$@")
[ ${#tarballs[@]} -gt 0 ] || tarballs=("$(ls "$root"/cicd-runner/target/cicd-*.tar.gz 2>/dev/null | head -1)")
[ -f "${tarballs[0]}" ] || { echo "build first: mvn -o -q -DskipTests -pl cicd-runner -am package" >&2; exit 2; }

. "$(dirname "$0")/lib.sh"
bench_init catchup

stop_etcd() { kill "$etcd_pid"; wait "$etcd_pid" || true; etcd_pid=; }
# ticks PID...: CPU time (user + system, 1/100 s) of the processes, summed
ticks() { local p n=0; for p in "$@"; do n=$((n + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$n"; }
# counters: etcd's puts and its Range and Txn requests so far
counters() {
  curl -s "$ep/metrics" | awk '/^etcd_mvcc_put_total / {p = $2} /^grpc_server_handled_total.*grpc_method="Range"/ {r += $2}
    /^grpc_server_handled_total.*grpc_method="Txn"/ {t += $2} END {printf "%d %d %d\n", p, r, t}'
}

# setup: the targets applied once, with the first tarball
mkdir "$work/dist"
unpack_dist "$work/dist" "${tarballs[0]}"
start_etcd "$work"
read -r port peer <<< "$etcd_ports"
sharded_config "$work"
start_runners "$work"
py await-owned "${#runners[@]}" 0 > /dev/null
read -r _ _ < <(py put "$targets" 0 "$work/revs-setup")
py await "$work/revs-setup" "$(date +%s.%N)" > /dev/null
stop_runners
stop_etcd
cp -a "$work/etcd" "$work/etcd.applied"

echo "catch-up, in sync: $targets targets, ${#runners[@]} runner(s), 64 shards, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| build | try | all owned after | all committed after | from all owned | etcd replay | per s from all owned: puts, Range, Txn | CPU etcd, runners |"
echo "|---|---|---|---|---|---|---|---|"
for tarball in "${tarballs[@]}"; do
  rm -rf "$work/dist"
  mkdir "$work/dist"
  unpack_dist "$work/dist" "$tarball"
  for try in $(seq 0 "$tries"); do # try 0 warms up (the launcher makes its class-data archive): not printed
    rm -rf "$work/etcd"
    cp -a "$work/etcd.applied" "$work/etcd"
    start_etcd "$work" "$port" "$peer"
    read -r first _ < <(py put "$targets" 0 "$work/revs")
    t0=$(date +%s.%N)
    start_runners "$work"
    owned=$(py await-owned "${#runners[@]}" 0)
    read -r p0 r0 x0 <<< "$(counters)"
    c0e=$(ticks "$etcd_pid")
    c0r=$(ticks "${pid[@]}")
    read -r took _ < <(py await "$work/revs" "$t0" "${pid[@]}")
    read -r p1 r1 x1 <<< "$(counters)"
    c1e=$(ticks "$etcd_pid")
    c1r=$(ticks "${pid[@]}")
    stop_runners
    replay=$(py replay "$first" "$targets")
    stop_etcd
    [ "$try" = 0 ] && continue
    python3 - "$(basename "$tarball")" "$try" "$owned" "$took" "$replay" "$targets" "$p0 $r0 $x0 $c0e $c0r" \
        "$p1 $r1 $x1 $c1e $c1r" <<'PY'
import sys
name, tr, owned, took, replay, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
a = [float(x) for x in sys.argv[7].split()]
b = [float(x) for x in sys.argv[8].split()]
s = took - owned
d = [(y - x) / s for x, y in zip(a, b)]
print(f"| {name} | {tr} | {owned:.1f} s | {took:.1f} s | {n / s:,.0f} events/s | {n / replay:,.0f} events/s | "
      f"{d[0]:,.0f}, {d[1]:,.0f}, {d[2]:,.0f} | {d[3]:.0f}, {d[4]:.0f} |")
PY
  done
done
