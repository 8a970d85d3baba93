#!/usr/bin/python3
"""rabbitmq_bench.py -- the peer figure for scripts/bench.sh e2e: RabbitMQ (Debian's
rabbitmq-server) on its own port and temporary directory, persistent messages to durable queues
with publisher confirms, 1 KiB bodies, N publishers to M consumers (each its own process, as
vangnet's agents are), driven by pika (Debian's python3-pika), a client nobody here wrote.

Prints: publish+consume end to end (messages/s), publish with confirms (confirms/s), latency at a
fixed rate (publish->consume and publish->confirm, p50/p99), and, like vn-bench, CPU
microseconds and bytes written per message by the server (every process of its session:
beam.smp, epmd excluded) and by the clients. Every process it starts it stops by pid."""
import argparse
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pika
from pika.spec import Basic

BODY = 1024
WINDOW = 1000  # unconfirmed publishes per publisher, as vn-bench keeps 1000 submits in flight


def now_us():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- what a set of processes cost (/proc) ----

def proc_cost(pids):
    """Sum of utime+stime (us) and write_bytes over pids that still exist."""
    hz = os.sysconf("SC_CLK_TCK")
    cpu = wb = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) * 1000000 // hz
            with open(f"/proc/{pid}/io") as f:
                for line in f:
                    if line.startswith("write_bytes:"):
                        wb += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            pass
    return cpu, wb


def session_pids(sid):
    """Processes in session sid (the server we started and its children)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.getsid(int(d)) == sid:
                out.append(int(d))
        except OSError:
            pass
    return out


# ---- the server ----

class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vn-rabbitmq-")
        self.port = free_port()
        self.epmd_port = free_port()
        self.dist_port = free_port()
        self.node = f"vnbench{os.getpid()}@localhost"
        conf = os.path.join(self.dir, "rabbitmq.conf")
        with open(conf, "w") as f:
            f.write(f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
                    "loopback_users.guest = true\n"
                    "log.console = false\nlog.file.level = warning\n")
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[].\n")
        self.env = dict(os.environ, HOME=self.dir, ERL_EPMD_PORT=str(self.epmd_port),
                        RABBITMQ_NODENAME=self.node, RABBITMQ_NODE_PORT=str(self.port),
                        RABBITMQ_DIST_PORT=str(self.dist_port),
                        RABBITMQ_CONFIG_FILE=conf[:-5],
                        RABBITMQ_CONF_ENV_FILE=os.path.join(self.dir, "rabbitmq-env.conf"),
                        RABBITMQ_MNESIA_BASE=os.path.join(self.dir, "mnesia"),
                        RABBITMQ_LOG_BASE=os.path.join(self.dir, "log"),
                        RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.dir, "enabled_plugins"),
                        RABBITMQ_PID_FILE=os.path.join(self.dir, "rabbitmq.pid"))
        open(self.env["RABBITMQ_CONF_ENV_FILE"], "w").close()
        self.epmd = self.proc = None

    def start(self):
        # Our own epmd on our own port, so nothing outlives the run.
        self.epmd = subprocess.Popen(["epmd", "-port", str(self.epmd_port)], env=self.env,
                                     start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        log = open(os.path.join(self.dir, "server.out"), "w")
        self.proc = subprocess.Popen(["/usr/lib/rabbitmq/bin/rabbitmq-server"], env=self.env,
                                     start_new_session=True, stdout=log, stderr=log)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited ({self.proc.returncode}); see "
                                   f"{self.dir}/server.out")
            try:
                c = pika.BlockingConnection(self.params())
                c.close()
                return
            except pika.exceptions.AMQPError:
                time.sleep(0.5)
        raise RuntimeError(f"rabbitmq-server did not accept connections in 90 s ({self.dir})")

    def params(self):
        return pika.ConnectionParameters("127.0.0.1", self.port, heartbeat=0,
                                         credentials=pika.PlainCredentials("guest", "guest"))

    def pids(self):
        return session_pids(self.proc.pid) if self.proc else []

    def stop(self):
        # The whole session we created (the script, beam.smp, its helpers), then our epmd.
        for p in (self.proc, self.epmd):
            if p and p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=30)
                except (OSError, subprocess.TimeoutExpired):
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- clients (each its own process) ----

def publisher(params, index, queues, total, rate, n_pub, results):
    """Publish `total` persistent messages round-robin to `queues`, at most WINDOW unconfirmed;
    at `rate` (all publishers together) when rate > 0."""
    st = {"sent": 0, "confirmed": 0, "sent_at": {}, "lat": [], "start": 0, "last": 0}
    body = bytearray(b"x" * BODY)
    props = pika.BasicProperties(delivery_mode=2)

    def pump():
        ch = st["ch"]
        while st["sent"] < total and st["sent"] - st["confirmed"] < WINDOW:
            due = st["start"] + (st["sent"] * 1000000 * n_pub // rate if rate else 0)
            t = now_us()
            if t < due:
                conn.ioloop.call_later((due - t) / 1e6, pump)
                return
            body[0:8] = t.to_bytes(8, "little")
            st["sent"] += 1
            st["sent_at"][st["sent"]] = t  # delivery tags count from 1 on a channel
            ch.basic_publish("", queues[(st["sent"] + index) % len(queues)], bytes(body), props)

    def on_confirm(frame):
        m = frame.method
        if not isinstance(m, Basic.Ack):
            print(f"rabbitmq bench: publisher {index}: nack {m.delivery_tag}", file=sys.stderr)
        t = now_us()
        tags = [k for k in st["sent_at"] if k <= m.delivery_tag] if m.multiple else [m.delivery_tag]
        for k in tags:
            st["lat"].append(t - st["sent_at"].pop(k))
        st["confirmed"] += len(tags)
        st["last"] = t
        if st["confirmed"] >= total:
            conn.close()
        else:
            pump()

    def on_channel(ch):
        st["ch"] = ch
        ch.confirm_delivery(on_confirm, callback=lambda _f: start())

    def start():
        st["start"] = now_us()
        pump()

    conn = pika.SelectConnection(params, on_open_callback=lambda c: c.channel(
        on_open_callback=on_channel), on_close_callback=lambda c, _e: c.ioloop.stop())
    conn.ioloop.start()
    results.put(("pub", st["start"], st["last"], st["confirmed"], st["lat"]))


def consumer(params, queue, total, results):
    """Consume `total` messages from queue, acking each, recording publish->consume latency."""
    conn = pika.BlockingConnection(params)
    ch = conn.channel()
    ch.basic_qos(prefetch_count=WINDOW)
    got, lat, last = 0, [], 0
    results.put(("ready",))
    for method, _props, body in ch.consume(queue, inactivity_timeout=20):
        if method is None:
            break
        t = now_us()
        lat.append(t - int.from_bytes(body[0:8], "little"))
        ch.basic_ack(method.delivery_tag)
        got += 1
        last = t
        if got >= total:
            break
    ch.cancel()
    conn.close()
    results.put(("con", last, got, lat))


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[int(p * (len(v) - 1))] / 1000.0


def run_phase(server, n_pub, n_con, total, rate):
    """One run: consumers first, then publishers; returns figures and per-message costs."""
    params = server.params()
    queues = [f"vn-bench-{i}" for i in range(n_con)]
    c = pika.BlockingConnection(params)
    ch = c.channel()
    for q in queues:
        ch.queue_declare(q, durable=True)
        ch.queue_purge(q)
    c.close()
    results = mp.Queue()
    per_con, per_pub = total // n_con, total // n_pub
    cons = [mp.Process(target=consumer, args=(params, q, per_con, results)) for q in queues]
    for p in cons:
        p.start()
    for _ in cons:
        results.get(timeout=60)
    srv0 = proc_cost(server.pids())
    pubs = [mp.Process(target=publisher, args=(params, i, queues, per_pub, rate, n_pub, results))
            for i in range(n_pub)]
    for p in pubs:
        p.start()
    clients = [p.pid for p in cons + pubs]
    cli0 = proc_cost(clients)
    got = [results.get(timeout=300) for _ in range(n_pub + n_con)]
    cli1 = proc_cost(clients)  # before they exit: their /proc entries go with them
    srv1 = proc_cost(server.pids())
    for p in cons + pubs:
        p.join()
    pub = [r for r in got if r[0] == "pub"]
    con = [r for r in got if r[0] == "con"]
    start = min(r[1] for r in pub)
    confirmed = sum(r[3] for r in pub)
    consumed = sum(r[2] for r in con)
    last_con = max(r[1] for r in con)
    last_pub = max(r[2] for r in pub)
    n = max(consumed, 1)
    return {
        "e2e": consumed * 1e6 / max(last_con - start, 1),
        "confirms": confirmed * 1e6 / max(last_pub - start, 1),
        "consumed": consumed, "confirmed": confirmed,
        "deliver_lat": [x for r in con for x in r[3]],
        "confirm_lat": [x for r in pub for x in r[4]],
        "srv_cpu": (srv1[0] - srv0[0]) / n, "srv_wb": (srv1[1] - srv0[1]) / n,
        "cli_cpu": (cli1[0] - cli0[0]) / n,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # vn-bench's names are accepted too, so bench.sh e2e passes one set of options to both.
    ap.add_argument("--publishers", "--senders", type=int, default=2)
    ap.add_argument("--consumers", "--recipients", type=int, default=2)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=5)
    a, _vn_bench_only = ap.parse_known_args()
    if not shutil.which("epmd") or not os.path.exists("/usr/lib/rabbitmq/bin/rabbitmq-server"):
        print("rabbitmq: not installed (scripts/bench.sh e2e installs rabbitmq-server and "
              "python3-pika)")
        return 1
    server = Server()
    try:
        server.start()
        tp = run_phase(server, a.publishers, a.consumers, a.messages, 0)
        lat = run_phase(server, a.publishers, a.consumers, a.rate * a.seconds, a.rate)
    finally:
        server.stop()
    print(f"RabbitMQ {a.publishers} publishers -> {a.consumers} durable queues/consumers, "
          f"{BODY}-byte persistent messages, publisher confirms (pika {pika.__version__})")
    print(f"  {'publish+consume end to end (messages/s)':<48} {tp['e2e']:10.0f}")
    print(f"  {'publish with confirms (confirms/s)':<48} {tp['confirms']:10.0f}")
    print(f"  {'consumed in throughput run':<48} {tp['consumed']:10d}")
    print(f"  at a fixed offered load of {a.rate}/s for {a.seconds} s:")
    print(f"  {'  publish->consume latency p50 / p99 (ms)':<48} "
          f"{pct(lat['deliver_lat'], .5):7.2f} / {pct(lat['deliver_lat'], .99):.2f}")
    print(f"  {'  publish->confirm latency p50 / p99 (ms)':<48} "
          f"{pct(lat['confirm_lat'], .5):7.2f} / {pct(lat['confirm_lat'], .99):.2f}")
    print(f"  {'  consumed in latency run':<48} {lat['consumed']:10d}")
    for name, r in (("as fast as it goes", tp), ("at the fixed rate", lat)):
        print(f"  per message, {name}: server CPU {r['srv_cpu']:.1f} us, server bytes written "
              f"{r['srv_wb']:.0f}; clients CPU {r['cli_cpu']:.1f} us")
    return 0 if tp["consumed"] == a.messages // a.consumers * a.consumers else 1


if __name__ == "__main__":
    sys.exit(main())
