#!/usr/bin/env bash
# Start of a shell action, as reported in docs/benchmarks.md ("Shell action start"):
# the time from a put's acknowledgement to the first command of the script it triggers, for
#   (a) `etcdctl watch KEY_A -- sh SCRIPT`                                  (the reference)
#   (b) `java [JVM options] -jar cicd.jar run -c cicd.yaml` with a shell watch on KEY_B whose
#       template renders to the same SCRIPT text (run the runner's way: bash -eu -o pipefail PLAN,
#       or the configured SHELL_COMMAND)
# against one etcd started by this script, in the same run.
#
#   cicd-runner/bench/shell-start.sh [LABEL] [JVM options...]
#   e.g. shell-start.sh cold -Dcicd.shell.prestart=false      (runner without prestarted shells)
#        JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java shell-start.sh jdk25
#
# Environment (all optional):
#   N=200          measured puts per side           WARMUP=30   unmeasured puts per side first (JIT;
#   GAP_MS=60      pause after each script started               the runner's first run starts cold)
#   TIMEOUT_S=10   wait for one script start at most MAX_S=900  the whole measurement at most
#   JAVA=java      the JVM to run the jar with       JAR=cicd-runner/target/cicd.jar
#   ETCD=etcd ETCDCTL=etcdctl                        KEEP=1 keeps the work dir (samples.tsv, logs)
#   SHELL_COMMAND='[bash, -eu, -o, pipefail, "{plan}"]'   the watch's action.shell.command (YAML list)
#   ETCDCTL_COMMAND=sh   what etcdctl runs SCRIPT with (words; e.g. 'bash -eu -o pipefail')
#
# How it is timed: SCRIPT's first (and only) command is `echo "$REVISION" >> FIFO`, a shell builtin
# and a write to a named pipe, so neither side pays for a `date` process. A small python client keeps
# the FIFO open, puts each value through etcd's JSON gateway (POST /v3/kv/put on a kept-alive HTTP
# connection), takes CLOCK_MONOTONIC right after the response is read (the ack) and, on a reader
# thread blocked on the FIFO, right after the line with that put's revision arrives (the script's first
# command). Puts alternate between the two keys (a b, b a, a b, ...) so load hits both alike; the next
# put waits until the previous script started plus GAP_MS, so runs do not overlap.
#
# samples.tsv in the work dir has every sample with both CLOCK_MONOTONIC times (the clock of Java's
# System.nanoTime, for lining up with timestamps logged inside the runner).
#
# Prints one line:
#   shell-start LABEL: n=200 etcdctl median 4.71 p90 5.90 ms | runner median 6.02 p90 7.10 ms | ratio 1.28 | ...
# (ratio = runner median / etcdctl median) and exits 0; 1 when too few samples arrived, 2 when etcd or
# the runner did not start. Needs: python3, etcd, etcdctl, the jar. Leaves nothing running.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
label=${1:-run}
[ $# -gt 0 ] && shift
jar=${JAR:-$here/cicd-runner/target/cicd.jar}
java_bin=${JAVA:-java}
etcd_bin=${ETCD:-etcd}
etcdctl_bin=${ETCDCTL:-etcdctl}
n=${N:-200}
warmup=${WARMUP:-30}
gap_ms=${GAP_MS:-60}
timeout_s=${TIMEOUT_S:-10}
max_s=${MAX_S:-900}
shell_command=${SHELL_COMMAND:-'[bash, -eu, -o, pipefail, "{plan}"]'}
read -r -a etcdctl_command <<< "${ETCDCTL_COMMAND:-sh}"
[ -f "$jar" ] || { echo "no $jar: build it (mvn -o -q -B -pl cicd-runner -am package -DskipTests)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cicd-shell-start.XXXXXX")
pids=()
cleanup() {
  local p i
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # the runner stops gracefully on SIGTERM; do not wait for it forever
  for i in $(seq 1 150); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r port peer < <(python3 - <<'PY'
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))
PY
)
ep=http://127.0.0.1:$port
"$etcd_bin" --name bench --data-dir "$work/etcd" --listen-client-urls "$ep" --advertise-client-urls "$ep" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "bench=http://127.0.0.1:$peer" > "$work/etcd.log" 2>&1 &
pids+=($!)
for i in $(seq 1 100); do
  "$etcdctl_bin" --endpoints "$ep" endpoint health >/dev/null 2>&1 && break
  [ "$i" = 100 ] && { echo "etcd did not start: $work/etcd.log" >&2; tail -5 "$work/etcd.log" >&2; exit 2; }
  sleep 0.1
done

fifo=$work/first.fifo
mkfifo "$fifo"
# the script both sides run; its first command marks the start
cat > "$work/script.sh" <<SH
echo "\${CICD_REVISION:-\${ETCD_WATCH_REVISION:-}}" >> $fifo
SH
cp "$work/script.sh" "$work/script.peb"

# (a) the reference
( cd "$work" && exec "$etcdctl_bin" --endpoints "$ep" watch /bench/etcdctl/trigger -- "${etcdctl_command[@]}" "$work/script.sh" ) \
  > "$work/etcdctl.log" 2>&1 &
pids+=($!)

# (b) the runner
cat > "$work/cicd.yaml" <<YAML
etcd: {endpoints: [$ep]}
runner: {group: bench, logDir: $work/logs, workDir: $work/plans}
watches:
  - name: bench
    prefix: /bench/runner
    keys: [/trigger]
    template: script.peb
    dedupe: false
    action: {shell: {command: $shell_command}}
YAML
"$java_bin" "$@" -jar "$jar" run -c "$work/cicd.yaml" > "$work/runner.log" 2>&1 &
runner_pid=$!
pids+=($runner_pid)
for i in $(seq 1 600); do
  grep -q "watching 1 watch" "$work/runner.log" && break
  if [ "$i" = 600 ] || ! kill -0 "$runner_pid" 2>/dev/null; then
    echo "runner did not start watching: $work/runner.log" >&2; tail -20 "$work/runner.log" >&2; KEEP=1; exit 2
  fi
  sleep 0.05
done

java_feature=$("$java_bin" "$@" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
python3 - "$ep" "$fifo" "$n" "$warmup" "$gap_ms" "$timeout_s" "$label" "$work/samples.tsv" "$max_s" "$java_feature" <<'PY' || { KEEP=1; exit 1; }
import base64, http.client, json, os, queue, statistics, sys, threading, time
ep, fifo, n, warmup, gap_ms, timeout_s, label, out, max_s, java = sys.argv[1:]
n, warmup, gap, timeout = int(n), int(warmup), int(gap_ms) / 1000, float(timeout_s)
end = time.monotonic() + float(max_s)
host, port = ep.removeprefix("http://").split(":")
keys = {"etcdctl": "/bench/etcdctl/trigger", "runner": "/bench/runner/trigger"}

fd = os.open(fifo, os.O_RDWR)          # held open: writers never block, reads block until a line
lines = queue.Queue()
def reader():
    buf = b""
    while True:
        chunk = os.read(fd, 4096)
        t = time.monotonic_ns()
        buf += chunk
        *done, buf = buf.split(b"\n")
        for l in done:
            lines.put((t, l.decode().strip()))
threading.Thread(target=reader, daemon=True).start()

conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
def put(key, value):
    body = json.dumps({"key": base64.b64encode(key.encode()).decode(),
                       "value": base64.b64encode(value.encode()).decode()})
    conn.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    t = time.monotonic_ns()
    if resp.status != 200:
        raise SystemExit(f"put {key}: HTTP {resp.status} {data[:200]!r}")
    return t, json.loads(data)["header"]["revision"]

def sample(side, i):
    t_ack, rev = put(keys[side], f'{{"i":{i},"side":"{side}"}}')
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            t_first, got = lines.get(timeout=max(left, 0.001))
        except queue.Empty:
            print(f"{side}: no script start for revision {rev} within {timeout:g} s", file=sys.stderr)
            return None
        if got == rev:
            return (t_first - t_ack) / 1e6, rev, t_ack, t_first
        # a late line of an earlier timed-out sample: skip it

res = {"etcdctl": [], "runner": []}
misses = 0
with open(out, "w") as f:
    f.write("i\tside\tms\trevision\tack_ns\tfirst_ns\n")  # CLOCK_MONOTONIC, as System.nanoTime
    for i in range(-warmup, n):
        if time.monotonic() > end:
            print(f"stopped after MAX_S={max_s} s at sample {i}", file=sys.stderr)
            break
        for side in (("etcdctl", "runner") if i % 2 == 0 else ("runner", "etcdctl")):
            got = sample(side, i)
            if got is None:
                misses += 1
                if misses > max(5, n // 10):
                    raise SystemExit("too many missing samples; giving up")
            elif i >= 0:
                ms, rev, t_ack, t_first = got
                res[side].append(ms)
                f.write(f"{i}\t{side}\t{ms:.3f}\t{rev}\t{t_ack}\t{t_first}\n")
            time.sleep(gap)

def p(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]
a, b = res["etcdctl"], res["runner"]
if len(a) < max(1, n / 2) or len(b) < max(1, n / 2):
    raise SystemExit(f"too few samples: etcdctl {len(a)}, runner {len(b)} of {n}")
ma, mb = statistics.median(a), statistics.median(b)
load = open("/proc/loadavg").read().split()[0]
print(f"shell-start {label}: n={min(len(a), len(b))} etcdctl median {ma:.2f} p90 {p(a, .9):.2f} ms"
      f" | runner median {mb:.2f} p90 {p(b, .9):.2f} ms | ratio {mb / ma:.2f}"
      f" | java {java} nproc {os.cpu_count()} load {load} misses {misses}")
PY
