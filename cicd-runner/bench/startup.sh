#!/usr/bin/env bash
# Start-up and memory of `cicd run`, as reported in docs/benchmarks.md ("cicd-runner: start-up and memory").
#
#   cicd-runner/bench/startup.sh LABEL idle|selftest [JVM options...]
#
# Needs: the packaged jar (mvn -pl cicd-runner package), /usr/bin/time, etcd and etcdctl, kubectl.
# Starts (once, and leaves running; `startup.sh stop` ends them) a local etcd on 127.0.0.1:23790 and
# the testkit's simulated cluster on 127.0.0.1:16443 with Deployment ns-demo1-dev/demo1-gateway, then
# runs `java [JVM options] -jar cicd.jar run -c cicd.yaml` (the recipe's two kubernetes watches) under
# /usr/bin/time -v, measures the wall time from launch until the runner logs "watching 2 watch(es)",
# then either idles 3 s or runs `cicd selftest --times 10` against it, and stops it with SIGTERM.
# Prints the start-to-watching time and the peak RSS ("Maximum resident set size").
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jar=$here/target/cicd.jar
work=${CICD_BENCH_DIR:-/tmp/cicd-bench}
mkdir -p "$work"
cd "$work"

if [ "${1:-}" = stop ]; then
  for f in etcd.pid sim.pid; do [ -f $f ] && kill "$(cat $f)" 2>/dev/null || true; rm -f $f; done
  exit 0
fi
label=$1; mode=$2; shift 2

if ! etcdctl --endpoints http://127.0.0.1:23790 endpoint health >/dev/null 2>&1; then
  etcd --data-dir "$work/etcd-data" --listen-client-urls http://127.0.0.1:23790 \
       --advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 > etcd.log 2>&1 &
  echo $! > etcd.pid
  sleep 2
fi
if ! curl -s -m 2 http://127.0.0.1:16443/version >/dev/null 2>&1; then
  java -cp "$jar:$here/target/lib/*" dev.cicd.testkit.SimulatedClusterMain --port 16443 --kubeconfig "$work/kubeconfig" > sim.log 2>&1 &
  echo $! > sim.pid
  for i in $(seq 1 100); do grep -q "Simulated Kubernetes API" sim.log && break; sleep 0.1; done
  cat > deploy.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: demo1-gateway, namespace: ns-demo1-dev}
spec:
  replicas: 2
  selector: {matchLabels: {app: demo1-gateway}}
  template:
    metadata: {labels: {app: demo1-gateway}}
    spec:
      containers: [{name: gateway, image: registry.example.com/ns-demo/demo1-gateway:v0}]
YAML
  kubectl --kubeconfig "$work/kubeconfig" create -f deploy.yaml >/dev/null
fi
cat > cicd.yaml <<YAML
etcd: {endpoints: [http://127.0.0.1:23790]}
kubernetes: {kubeconfig: $work/kubeconfig}
registry: registry.example.com/ns-demo
runner: {group: bench, logDir: logs, httpPort: 9464}
watches:
  - {name: rollout, prefix: /cicd/rollout, keys: [/trigger], template: "builtin:k8s-rollout", action: kubernetes, allowedNamespaces: [ns-demo1-dev]}
  - {name: undo, prefix: /cicd/undo, keys: [/trigger], template: "builtin:k8s-undo", action: kubernetes, allowedNamespaces: [ns-demo1-dev]}
YAML

etcdctl --endpoints http://127.0.0.1:23790 del --prefix /cicd/ >/dev/null
start=$(date +%s%N)
/usr/bin/time -v -o "time-$label.txt" java "$@" -jar "$jar" run -c cicd.yaml > "run-$label.log" 2>&1 &
tpid=$!
for i in $(seq 1 1500); do grep -q "watching 2 watch" "run-$label.log" && break; sleep 0.02; done
t_watch=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$mode" = selftest ]; then
  java -jar "$jar" selftest -c cicd.yaml --times 10 > "selftest-$label.txt" 2>&1 || echo "selftest FAILED: see $work/selftest-$label.txt"
else
  sleep 3
fi
kill -TERM "$(pgrep -P $tpid java | head -1)"
wait $tpid || true
echo "$label: watching after ${t_watch} ms (launch to log line); runner says $(grep -o '[0-9]* ms after JVM start' "run-$label.log");" \
     "peak RSS $(grep 'Maximum resident' "time-$label.txt" | grep -o '[0-9]*') kB; load $(cut -d' ' -f1 /proc/loadavg)"
