# The etcd side of the bench scripts (shards.sh, catchup.sh), through etcd's JSON gateway: puts one value per target,
# awaits the final status records (and samples RSS), awaits shard owners, times etcdctl replaying the events.
# python3 bench.py ENDPOINT (put|await|kinds|await-owned|replay) ARGS...
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

def await_finals(file, t0, pids):
    """Waits until every revision listed in file has a final record (in-progress ones not counted); prints seconds
    since t0 and the peak RSS per pid. Follows the status records with one watch from the first revision instead of
    reading them all again and again: a poll of tens of thousands of records every 0.2 s took a large share of
    etcd's CPU, and so of what was measured."""
    with open(file) as f:
        revs = {int(line) for line in f if line.strip()}
    peak = {p: 0.0 for p in pids}
    done = set()
    stop = threading.Event()
    def sample():
        while not stop.is_set():
            for p in pids:
                peak[p] = max(peak[p], rss(p))
            stop.wait(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    prefix = "/cicd/.status/bench/"
    conn = http.client.HTTPConnection(ep, timeout=600)
    conn.request("POST", "/v3/watch", json.dumps({"create_request": {
        "key": b64(prefix), "range_end": b64(end_of(prefix)), "start_revision": min(revs)}}))
    stream = conn.getresponse()
    while len(done) < len(revs):
        line = stream.readline()
        if not line:
            raise SystemExit(f"the status watch ended with {len(done)} of {len(revs)} triggers recorded")
        for ev in json.loads(line).get("result", {}).get("events", []):
            kv = ev["kv"]
            k = base64.b64decode(kv["key"]).decode().rsplit("/", 1)[1]
            if k.isdigit() and int(k) in revs and b'"in-progress"' not in base64.b64decode(kv.get("value", "")):
                done.add(int(k))
    took = time.time() - t0
    stop.set()
    sampler.join()
    for p in pids:
        peak[p] = max(peak[p], rss(p))
    print(f"{took:.2f}", *(f"{peak[p]:.1f}" for p in pids))

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

def await_owned(runners, balanced):
    """Polls (every 50 ms, one process: spawning one per poll lagged by seconds under load) until the 64 shards are
    owned by exactly `runners` runners, and with balanced, their counts differ by at most 1; prints the seconds."""
    conn = http.client.HTTPConnection(ep)
    prefix = "/cicd/.shards/bench/owners/"
    t0 = time.time()
    while time.time() - t0 < 120:
        kvs = call(conn, "/v3/kv/range", {"key": b64(prefix), "range_end": b64(end_of(prefix))}).get("kvs", [])
        counts = {}
        for kv in kvs:
            o = base64.b64decode(kv["value"]).decode()
            counts[o] = counts.get(o, 0) + 1
        if len(kvs) == 64 and len(counts) == runners and (not balanced or max(counts.values()) - min(counts.values()) <= 1):
            print(f"{time.time() - t0:.2f}")
            return
        time.sleep(0.05)
    raise SystemExit(f"shards not owned by all runners after 120 s: {counts}")

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
elif cmd == "await-owned":
    await_owned(int(sys.argv[3]), sys.argv[4] == "1")
elif cmd == "replay":
    replay(int(sys.argv[3]), int(sys.argv[4]))
