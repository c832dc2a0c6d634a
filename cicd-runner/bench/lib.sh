# Shared by the bench scripts (sourced, not run).

# unpack_dist WORK TARBALL: unpacks the distribution into WORK; sets home (its directory) and the CDS dir.
unpack_dist() {
  tar -xzf "$2" -C "$1"
  home=$(ls -d "$1"/cicd-*/)
  export CICD_CDS_DIR=$1/cds
}

# start_etcd WORK: a one-member etcd on free 127.0.0.1 ports, data and log in WORK; sets ep and etcd_pid,
# and waits until it answers.
start_etcd() {
  local work="$1" port peer i
  read -r port peer < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')
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
