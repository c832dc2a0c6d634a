#!/usr/bin/env bash
# Start-up, memory and `trigger --wait` of the distribution's launcher against plain `java -jar`, as reported
# in docs/benchmarks.md ("cicd-runner: the distribution's launcher"). A script, not a test.
#
#   cicd-runner/bench/start-rss.sh [RUNS]          (default 3 runs per variant, interleaved)
#
# Variants:
#   default    java -jar cicd-runner/target/cicd.jar run -c cicd.yaml          (JDK defaults: G1, 1/4 of RAM)
#   launcher   bin/cicd run -c cicd.yaml from the unpacked cicd-runner/target/cicd-*.tar.gz, its class-data
#              archive made by an unmeasured run first
#   launcher+  the same with JAVA_OPTS=$PLUS_OPTS (only when PLUS_OPTS is set, e.g. PLUS_OPTS=-Xmx64m)
#
# Each run, against one etcd started by this script (own group and key per run):
#   1. starts the runner under /usr/bin/time -v with one shell watch (dedupe on; the plan is `: VALUE`),
#      and takes the wall time from launch to its log line "watching 1 watch(es)" (and the JVM's own
#      uptime printed on that line);
#   2. puts N_TRIGGERS (500) distinct values on the key (etcd's JSON gateway, one kept-alive connection) and
#      waits until every one has its run log (all applied);
#   3. runs `trigger --key KEY --json LAST --wait` TRIGGERS (3) times: the value is the last one applied, so
#      the outcome is in-sync; takes each one's wall time (the variant's way of starting: java -jar, or bin/cicd
#      with its own warmed archive);
#   4. stops the runner with SIGTERM; peak RSS is /usr/bin/time's "Maximum resident set size".
# Prints one line per run and a summary (medians). Needs: python3, etcd, etcdctl, /usr/bin/time, the build
# (mvn -B -q -DskipTests -pl cicd-runner -am package). JAVA_HOME selects the JVM of both variants.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-3}
n_triggers=${N_TRIGGERS:-500}
n_wait=${TRIGGERS:-3}
java_bin=${JAVA_HOME:+$JAVA_HOME/bin/}java
jar=$root/cicd-runner/target/cicd.jar
tarball=$(ls "$root"/cicd-runner/target/cicd-*.tar.gz 2>/dev/null | head -1)
[ -f "$jar" ] && [ -n "$tarball" ] || { echo "build first: mvn -B -q -DskipTests -pl cicd-runner -am package" >&2; exit 2; }

. "$(dirname "$0")/lib.sh"
bench_init start-rss

unpack_dist "$work" "$tarball"
start_etcd "$work"
echo ': {{ data.i | sh }}' > "$work/plan.peb"

# cicd VARIANT ARGS...: the variant's way of running a command
cicd() {
  local variant=$1; shift
  case $variant in
    default) "$java_bin" -jar "$jar" "$@" ;;
    launcher) env -u JAVA_OPTS "$home/bin/cicd" "$@" ;;
    launcher+) JAVA_OPTS=$PLUS_OPTS "$home/bin/cicd" "$@" ;;
  esac
}

# one VARIANT RUN_ID [quiet]
one() {
  local variant=$1 id=$2 d=$work/$2
  mkdir -p "$d"
  cat > "$d/cicd.yaml" <<YAML
etcd: {endpoints: [$ep]}
runner: {group: g-$id, logDir: $d/logs, workDir: $d/plans}
watches:
  - name: bench
    prefix: /bench/$id
    keys: [/trigger]
    template: $work/plan.peb
    action: shell
YAML
  local start t_watch jvm_ms tpid pid
  local -a cmd
  case $variant in
    default) cmd=("$java_bin" -jar "$jar") ;;
    launcher) cmd=(env -u JAVA_OPTS "$home/bin/cicd") ;;   # env and bin/cicd exec: java is time's child
    launcher+) cmd=(env "JAVA_OPTS=$PLUS_OPTS" "$home/bin/cicd") ;;
  esac
  start=$(date +%s%N)
  /usr/bin/time -v -o "$d/time.txt" "${cmd[@]}" run -c "$d/cicd.yaml" > "$d/runner.log" 2>&1 &
  tpid=$!
  for i in $(seq 1 3000); do
    grep -q "watching 1 watch" "$d/runner.log" && break
    if ! kill -0 "$tpid" 2>/dev/null; then
      # on a loaded machine the runner can miss its 5 s etcd connect timeout: report it, go on
      [ "${3:-}" = quiet ] || printf '%s\tfailed: %s\t\t\t\t%s\n' "$variant" "$(tail -1 "$d/runner.log")" \
        "$(cut -d' ' -f1-3 /proc/loadavg)"
      return 0
    fi
    sleep 0.01
  done
  t_watch=$(( ($(date +%s%N) - start) / 1000000 ))
  jvm_ms=$(grep -o '([0-9]* ms after JVM start' "$d/runner.log" | grep -o '[0-9]*' | head -1)

  python3 - "$ep" "/bench/$id/trigger" "$n_triggers" <<'PY'
import base64, http.client, json, sys
ep, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = ep.removeprefix("http://").split(":")
c = http.client.HTTPConnection(host, int(port), timeout=30)
for i in range(n):
    body = json.dumps({"key": base64.b64encode(key.encode()).decode(),
                       "value": base64.b64encode(json.dumps({"i": i}).encode()).decode()})
    c.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 200: sys.exit(f"put: HTTP {r.status}")
PY
  for i in $(seq 1 6000); do
    [ "$(find "$d/logs" -name '*.log' 2>/dev/null | wc -l)" -ge "$n_triggers" ] && break
    [ "$i" = 6000 ] && { echo "$variant: not all $n_triggers runs logged in 10 min" >&2; KEEP=1; exit 1; }
    sleep 0.1
  done

  local waits="" t0 out
  for i in $(seq 1 "$n_wait"); do
    t0=$(date +%s%N)
    out=$(cicd "$variant" trigger --endpoints "$ep" --key "/bench/$id/trigger" --json "{\"i\":$((n_triggers - 1))}" \
      --wait --timeout 30s 2>&1) || { echo "$variant: trigger failed: $out" >&2; KEEP=1; exit 1; }
    case $out in *in-sync*) ;; *) echo "$variant: trigger not in sync: $out" >&2; KEEP=1; exit 1 ;; esac
    waits="$waits $(( ($(date +%s%N) - t0) / 1000000 ))"
  done

  pid=$(pgrep -P "$tpid" -n)
  kill -TERM "$pid"
  wait "$tpid" || true
  local rss
  rss=$(grep 'Maximum resident' "$d/time.txt" | grep -o '[0-9]*')
  if [ "${3:-}" != quiet ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$t_watch" "$jvm_ms" "$((rss / 1024))" "${waits# }" \
      "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$work/results.tsv"
  fi
}

variants=(default launcher)
[ -n "${PLUS_OPTS:-}" ] && variants+=(launcher+)
echo "java: $("$java_bin" -version 2>&1 | head -1); nproc $(nproc); $(date -u +%FT%TZ)"
# unmeasured: each launcher variant records its class-data archives (run, trigger) first
# (Java 17 records at the first exit only: a warm-up that exited before watching left a partial archive; again)
for v in "${variants[@]}"; do
  [ "$v" = default ] && continue
  for attempt in 1 2 3; do
    one "$v" "warm$attempt-${v%+}p" quiet
    grep -q "watching 1 watch" "$work/warm$attempt-${v%+}p/runner.log" && break
    rm -f "$CICD_CDS_DIR"/*.jsa
  done
done
printf 'variant\twatching_ms\tjvm_ms\tpeak_rss_MiB\ttrigger_wait_ms\tload\n'
for r in $(seq 1 "$runs"); do
  for v in "${variants[@]}"; do
    one "$v" "r$r-${v%+}p"
  done
done
python3 - "$work/results.tsv" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
for v in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == v]
    w = [int(r[1]) for r in rs]; m = [int(r[3]) for r in rs]
    t = [int(x) for r in rs for x in r[4].split()]
    print(f"{v}: watching median {statistics.median(w)} ms {sorted(w)}; peak RSS median {statistics.median(m)} MiB {sorted(m)};"
          f" trigger --wait (in-sync) median {statistics.median(t)} ms {sorted(t)}")
PY
