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

work=$(mktemp -d "${TMPDIR:-/tmp}/cicd-shards.XXXXXX")
etcd_pid=
declare -A pid=()
cleanup() {
  for r in "${!pid[@]}"; do kill "${pid[$r]}" 2>/dev/null || true; done
  for r in "${!pid[@]}"; do wait "${pid[$r]}" 2>/dev/null || true; done
  [ -n "$etcd_pid" ] && kill "$etcd_pid" 2>/dev/null && wait "$etcd_pid" 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$(dirname "$0")/lib.sh"
unpack_dist "$work" "$tarball"
start_etcd "$work"

echo ': {{ data.n }}' > "$work/plan.peb"
cat > "$work/cicd.yaml" <<YAML
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

# The etcd side: puts, counting final status records (with each runner's RSS), ownership, revision.
cat > "$work/bench.py" <<'PY'
import base64, http.client, json, sys, threading, time

ep = sys.argv[1].replace("http://", "")
b64 = lambda s: base64.b64encode(s.encode()).decode()

def call(conn, path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status} {data[:200]!r}")
    return json.loads(data)

def end_of(prefix):
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)

def put(targets, base, out):
    """One value on every target, 16 connections; writes the revisions to the file out; prints the first revision
    and the seconds taken."""
    revs, lock, t0 = [], threading.Lock(), time.time()
    def worker(k):
        conn = http.client.HTTPConnection(ep)
        mine = []
        for i in range(k, targets, 16):
            r = call(conn, "/v3/kv/put", {"key": b64(f"/cicd/bench/t{i}"), "value": b64(json.dumps({"n": base + i}))})
            mine.append(int(r["header"]["revision"]))
        with lock:
            revs.extend(mine)
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    took = time.time() - t0
    assert len(set(revs)) == targets, "a revision per trigger"
    with open(out, "w") as f:
        f.write("\n".join(map(str, sorted(revs))))
    print(min(revs), f"{took:.2f}")

def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def finals(conn, revs):
    """How many of the revisions revs have a final status record (in-progress ones not counted)."""
    prefix = "/cicd/.status/bench/"
    body = {"key": b64(prefix), "range_end": b64(end_of(prefix)), "count_only": True}
    if int(call(conn, "/v3/kv/range", body).get("count", 0)) < len(revs):
        return 0
    n = 0
    for kv in call(conn, "/v3/kv/range", {"key": b64(prefix), "range_end": b64(end_of(prefix))}).get("kvs", []):
        k = base64.b64decode(kv["key"]).decode().rsplit("/", 1)[1]
        if k.isdigit() and int(k) in revs and b'"in-progress"' not in base64.b64decode(kv["value"]):
            n += 1
    return n

def await_finals(file, t0, pids):
    """Waits until every revision listed in file has a final record; prints seconds since t0 and peak RSS per pid."""
    with open(file) as f:
        revs = {int(line) for line in f if line.strip()}
    conn = http.client.HTTPConnection(ep)
    peak = {p: 0.0 for p in pids}
    deadline = time.time() + 600
    while True:
        for p in pids:
            peak[p] = max(peak[p], rss(p))
        if finals(conn, revs) == len(revs):
            print(f"{time.time() - t0:.2f}", *(f"{peak[p]:.1f}" for p in pids))
            return
        if time.time() > deadline:
            raise SystemExit(f"only {finals(conn, revs)} of {len(revs)} triggers recorded after 600 s")
        time.sleep(0.2)

def kinds(file):
    """Prints how many of the revisions listed in file ended in each outcome."""
    with open(file) as f:
        revs = {int(line) for line in f if line.strip()}
    conn = http.client.HTTPConnection(ep)
    prefix = "/cicd/.status/bench/"
    counts = {}
    for kv in call(conn, "/v3/kv/range", {"key": b64(prefix), "range_end": b64(end_of(prefix))}).get("kvs", []):
        k = base64.b64decode(kv["key"]).decode().rsplit("/", 1)[1]
        if k.isdigit() and int(k) in revs:
            o = json.loads(base64.b64decode(kv["value"]))["outcome"]
            counts[o] = counts.get(o, 0) + 1
    print(", ".join(f"{v} {k}" for k, v in sorted(counts.items())))

def owners():
    """Prints how many shards each runner owns, and the total."""
    conn = http.client.HTTPConnection(ep)
    prefix = "/cicd/.shards/bench/owners/"
    kvs = call(conn, "/v3/kv/range", {"key": b64(prefix), "range_end": b64(end_of(prefix))}).get("kvs", [])
    counts = {}
    for kv in kvs:
        o = base64.b64decode(kv["value"]).decode()
        counts[o] = counts.get(o, 0) + 1
    print(len(kvs), " ".join(f"{k}={v}" for k, v in sorted(counts.items())))

def replay(first, n):
    """etcdctl watch from revision first on the prefix: seconds until its n-th event."""
    import subprocess
    t0 = time.time()
    p = subprocess.Popen(["etcdctl", "--endpoints", sys.argv[1], "watch", f"--rev={first}", "--prefix", "/cicd/bench/"],
                         stdout=subprocess.PIPE, bufsize=1 << 20)
    lines = 0
    for _ in p.stdout:
        lines += 1
        if lines == 3 * n:  # PUT, key, value
            break
    took = time.time() - t0
    p.kill()
    p.wait()
    print(f"{took:.3f}")

cmd = sys.argv[2]
if cmd == "put":
    put(int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
elif cmd == "await":
    await_finals(sys.argv[3], float(sys.argv[4]), [int(p) for p in sys.argv[5:]])
elif cmd == "kinds":
    kinds(sys.argv[3])
elif cmd == "owners":
    owners()
elif cmd == "replay":
    replay(int(sys.argv[3]), int(sys.argv[4]))
PY
py() { python3 "$work/bench.py" "$ep" "$@"; }

start_runners() {
  for r in "${runners[@]}"; do
    CICD_RUNNER_ID=$r env -u JAVA_OPTS "$home/bin/cicd" run -c "$work/cicd.yaml" >> "$work/$r.log" 2>&1 &
    pid[$r]=$!
  done
}
stop_runners() {
  for r in "${runners[@]}"; do kill "${pid[$r]}"; done
  for r in "${runners[@]}"; do wait "${pid[$r]}" || true; done
  pid=()
}
# await_owned BALANCED: until all 64 shards are owned by the runners (and, with 1, balanced: counts differ by <= 1)
await_owned() {
  local out counts
  for i in $(seq 1 1200); do
    out=$(py owners)
    if [[ $out == "64 "* ]] && [ "$(wc -w <<< "$out")" = $((n_runners + 1)) ]; then
      [ "$1" = 0 ] && return 0
      counts=$(tr ' ' '\n' <<< "${out#64 }" | cut -d= -f2 | sort -n)
      [ $(( $(tail -1 <<< "$counts") - $(head -1 <<< "$counts") )) -le 1 ] && return 0
    fi
    sleep 0.1
  done
  echo "shards not owned by all runners: $out" >&2; exit 1
}
rss_of() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
now() { python3 -c 'import time; print(time.time())'; }

# warm-up: the launcher's class-data archive is made by the first launch of each runner
start_runners
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
  start_runners
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
