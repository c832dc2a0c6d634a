#!/usr/bin/env bash
# Sharded runners on 10,000 targets, as reported in docs/benchmarks.md ("cicd-runner: sharded runners (10,000
# targets)"). A script, not a test.
#
#   cicd-runner/bench/shards.sh
#
# Against one etcd started by this script, three runners (RUNNERS, default 3; bin/cicd from the unpacked
# cicd-runner/target/cicd-*.tar.gz, the launcher's default JVM flags) of one group with runner.shards 64, one shell
# watch over the keys /cicd/bench/t<i> (TARGETS, default 10,000: one key per target, so one target each) whose
# action runs `true` (nothing: the figures are the runner's, not the script's):
#   (i)  burst: the runners idle and balanced (64 shards, 21-22 each of 3), one value put on every target at once (16
#        connections to etcd's JSON gateway, one put per trigger so each has its own revision); time from the first
#        put until every trigger has its final status record; each runner's RSS (/proc VmRSS) when idle just before,
#        and its peak sampled every 0.2 s until the end;
#   (ii) catch-up: the runners stopped (SIGTERM), one more value put on every target, the runners started again;
#        time from their start until every new trigger has its final status record, as events/s (also from the
#        moment all 64 shards are owned again), against etcd replaying the same 10,000 events:
#        `etcdctl watch --rev=<first> --prefix /cicd/bench/` started after the run, timed until its last event;
#   (iii) the same catch-up with the values of (ii) put again: every trigger ends in-sync (its plan is the
#        target's last applied one), no process runs, so what is timed is the runner's own work per event.
# Then etcd alone with a catch-up's minimum per event (EtcdCeiling.java: records and marks written, fingerprints read).
# Prints a Markdown table. Needs: python3, etcd, etcdctl, the build (mvn -o -q -DskipTests -pl cicd-runner -am
# package). JAVA_HOME selects the JVM. KEEP=1 keeps the work directory (logs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
targets=${TARGETS:-10000}
n_runners=${RUNNERS:-3}
runners=()
for i in $(seq 1 "$n_runners"); do runners+=("b$i"); done
tarball=$(ls "$root"/cicd-runner/target/cicd-*.tar.gz 2>/dev/null | head -1)
[ -n "$tarball" ] || { echo "build first: mvn -o -q -DskipTests -pl cicd-runner -am package" >&2; exit 2; }

. "$(dirname "$0")/lib.sh"
bench_init shards

unpack_dist "$work" "$tarball"
start_etcd "$work"

sharded_config "$work"

# await_owned BALANCED: until all 64 shards are owned by the runners (and, with 1, balanced: counts differ by <= 1)
await_owned() { py await-owned "$n_runners" "$1" > /dev/null; }
rss_of() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }

# warm-up: the launcher's class-data archive is made by the first launch of each runner
start_runners "$work"
await_owned 1
sleep 3
declare -A idle=()
for r in "${runners[@]}"; do idle[$r]=$(rss_of "${pid[$r]}"); done

load() { cut -d' ' -f1 /proc/loadavg; }
# (i) burst
load0=$(load)
t0=$(now)
read -r first1 put1 < <(py put "$targets" 0 "$work/revs1")
pids=()
for r in "${runners[@]}"; do pids+=("${pid[$r]}"); done
read -r took1 peaks < <(py await "$work/revs1" "$t0" "${pids[@]}")
[ -n "${peaks:-}" ] || { echo "phase (i) failed" >&2; exit 1; }
declare -A peak=()
read -r -a peak_list <<< "$peaks"
for i in "${!runners[@]}"; do peak[${runners[$i]}]=${peak_list[$i]}; done

load1=$(load)
# catchup LABEL BASE: the runners stopped, the values BASE+i put on every target, the runners started again; prints
# the table rows of the catch-up (timed from the start until every new trigger has its final record)
rate() { python3 -c "print(f'{$1 / $2:,.0f}')"; }
catchup() {
  local label=$1 base=$2 first put t0 owned_at took owned_after replay load_end
  stop_runners
  read -r first put < <(py put "$targets" "$base" "$work/revs-$label")
  t0=$(now)
  start_runners "$work"
  await_owned 0
  owned_at=$(now)
  pids=()
  for r in "${runners[@]}"; do pids+=("${pid[$r]}"); done
  read -r took _ < <(py await "$work/revs-$label" "$t0" "${pids[@]}")
  [ -n "${took:-}" ] || { echo "catch-up $label failed" >&2; exit 1; }
  load_end=$(load)
  owned_after=$(python3 -c "print(f'{$owned_at - $t0:.2f}')")
  replay=$(py replay "$first" "$targets")
  echo "| ($label) $targets triggers put while the runners were down | $put s |"
  echo "| ($label) runners started -> all 64 shards owned | $owned_after s |"
  echo "| ($label) runners started -> every outcome committed ($(py kinds "$work/revs-$label"); load average at the end $load_end) | $took s ($(rate "$targets" "$took") events/s) |"
  echo "| ($label) the same from all shards owned | $(python3 -c "print(f'{$took - $owned_after:.2f}')") s ($(rate "$targets" "($took - $owned_after)") events/s) |"
  echo "| ($label) etcd replaying the $targets events (etcdctl watch --rev) | $replay s ($(rate "$targets" "$replay") events/s) |"
  echo "| ($label) catch-up rate / etcd's replay rate | $(python3 -c "print(f'{100 * $replay / $took:.1f} % (from all shards owned: {100 * $replay / ($took - $owned_after):.1f} %)')") |"
}
# (ii) new values: every trigger runs its action; (iii) the same values again: every trigger is in sync (the plan
# equals the target's last applied one), no process runs: what is left is the runner's own work per event
catchup ii "$targets" > "$work/rows-ii"   # a redirection, not $(...): the runners' pids stay in this shell
catchup iii "$targets" > "$work/rows-iii"
stop_runners
# what etcd alone does with a catch-up's minimum per event (a record and a mark written, a fingerprint read)
java_cmd=java; [ -n "${JAVA_HOME:-}" ] && java_cmd=$JAVA_HOME/bin/java
$java_cmd -cp "$home/lib/*" "$(dirname "$0")/EtcdCeiling.java" "$ep" "$targets" 2>/dev/null > "$work/ceiling"

echo
echo "sharded runners: $targets targets, $n_runners runner(s), 64 shards, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| measure | value |"
echo "|---|---|"
echo "| (i) load average (1 min) at its start and end | $load0, $load1 |"
echo "| (i) $targets triggers put (16 connections) | $put1 s |"
echo "| (i) first put -> every outcome committed ($(py kinds "$work/revs1")) | $took1 s ($(rate "$targets" "$took1") events/s) |"
for r in "${runners[@]}"; do
  echo "| (i) $r RSS idle -> peak (growth) | ${idle[$r]} -> ${peak[$r]} MiB (+$(python3 -c "print(f'{${peak[$r]} - ${idle[$r]}:.1f}')") MiB) |"
done
cat "$work/rows-ii" "$work/rows-iii"
sed 's/^/| etcd alone (EtcdCeiling.java): /; s/: \([0-9].*\)$/ | \1 |/' "$work/ceiling"
