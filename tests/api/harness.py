"""harness.py -- a real broker and real agents for the HTTP API tests, set up with the vangnet
tools and then driven only through HTTP; every process is stopped by its pid however a test ends.
Every response is checked against the agent's published OpenAPI document (openapi_check.py)."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import requests

from openapi_check import Checker

BUILD = os.environ["VN_BUILD"]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VANGNET = os.path.join(BUILD, "cli", "vangnet")
BROKER = os.path.join(BUILD, "broker", "vangnet-broker")
AGENT = os.path.join(BUILD, "agent", "vangnet-agent")
BSN = "111222333"   # synthetic, passes the elfproef


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_for(fn, limit=15.0, what="condition"):
    end = time.time() + limit
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.1)
    raise Failure("timed out waiting for " + what)


class Net:
    """A temp dir, a broker and agents. Use as a context manager."""

    def __init__(self, vocabulary=False):
        self.vocabulary = vocabulary    # the broker signs config/vocabulary.conf (signals need it)
        self.t = tempfile.mkdtemp(prefix="vn-api-")
        self.procs = {}
        self.logs = {}
        self.checker = None
        self.keys = os.path.join(self.t, "keys")
        os.makedirs(self.keys)

    def __enter__(self):
        self.run(VANGNET, "keygen", "--org", "broker", "--sector", "broker", "--out", self.keys)
        self.run(VANGNET, "keygen", "--pseudonym-key", os.path.join(self.keys, "pseudonym.key"))
        with open(os.path.join(self.t, "broker.conf"), "w") as f:
            f.write("[broker]\nendpoint = tcp://127.0.0.1:*\ndata = %s/broker-data\n"
                    "keys = %s/broker.secret\npolicy = %s/config/policy.conf\nmap_size_mb = 256\n"
                    % (self.t, self.keys, REPO))
            if self.vocabulary:
                f.write("vocabulary = %s/config/vocabulary.conf\n" % REPO)
        self.start("broker", [BROKER, "--config", os.path.join(self.t, "broker.conf")])
        ep = os.path.join(self.t, "broker-data", "endpoint")
        self.broker_ep = wait_for(lambda: os.path.getsize(ep) and open(ep).read().strip(),
                                  what="the broker's endpoint")
        conf = os.path.join(self.t, "broker.conf")   # a restart listens where agents look
        text = open(conf).read().replace("tcp://127.0.0.1:*", self.broker_ep)
        open(conf, "w").write(text)
        return self

    def __exit__(self, exc_type, exc, tb):
        for name in list(self.procs):
            self.stop(name)
        if exc_type is None:
            shutil.rmtree(self.t, ignore_errors=True)
        else:
            print("--- test failed; logs in", self.t)
            for name, path in self.logs.items():
                with open(path, errors="replace") as f:
                    print("===", name, "\n" + "".join(f.readlines()[-30:]))
        return False

    def run(self, *args, ok=True):
        p = subprocess.run(list(args), capture_output=True, text=True)
        if ok and p.returncode != 0:
            raise Failure("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def start(self, name, argv):
        log = os.path.join(self.t, name + ".log")
        self.logs[name] = log
        self.procs[name] = subprocess.Popen(argv, stdout=open(log, "ab"), stderr=subprocess.STDOUT)

    def stop(self, name, sig=signal.SIGTERM):
        p = self.procs.pop(name, None)
        if not p:
            return None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def alive(self, name):
        return name in self.procs and self.procs[name].poll() is None

    def org(self, org, sector, name=None):
        self.run(VANGNET, "keygen", "--org", org, "--sector", sector, "--out", self.keys)
        self.run(VANGNET, "org", "add", "--data", os.path.join(self.t, "broker-data"),
                 *(["--name", name] if name else []), os.path.join(self.keys, org + ".public"))

    def data(self, org):
        return os.path.join(self.t, org + "-data")

    def agent(self, org, extra=""):
        conf = os.path.join(self.t, org + ".conf")
        with open(conf, "w") as f:
            f.write("[agent]\nkeys = %s/%s.secret\ndata = %s\napi = ipc://%s/%s.sock\n"
                    "pseudonym_key = %s/pseudonym.key\n[broker]\nendpoint = %s\n"
                    "public = %s/broker.public\n[http_api]\nlisten = 127.0.0.1:0\n%s"
                    % (self.keys, org, self.data(org), self.t, org, self.keys, self.broker_ep,
                       self.keys, extra))
        addr = os.path.join(self.data(org), "http-api-address")
        if os.path.exists(addr):
            os.unlink(addr)
        self.start(org, [AGENT, "--config", conf])
        url = wait_for(lambda: os.path.exists(addr) and open(addr).read().strip(),
                       what=org + "'s HTTP API address")
        if self.checker is None:
            doc = requests.get(url + "/v1/openapi.json", timeout=10).json()
            self.checker = Checker(doc)
        return url

    def client(self, org, name, scopes="send,inbox,consent"):
        os.makedirs(self.data(org), mode=0o700, exist_ok=True)
        p = self.run(VANGNET, "api-client", "add", name, "--scopes", scopes, "--data",
                     self.data(org))
        return p.stdout.strip()

    def api(self, url, token):
        return Api(url, token, self.checker)

    def wait_connected(self, api, n_orgs):
        wait_for(lambda: (lambda s: s["connected"] and s["directoryOrgs"] == n_orgs)(
            api.get("/v1/status").json()), what="the agent connected with the directory")


class Api:
    """An HTTP client for one agent that checks every answer against the OpenAPI document."""

    def __init__(self, url, token, checker):
        self.url = url
        self.s = requests.Session()
        if token:
            self.s.headers["Authorization"] = "Bearer " + token
        self.checker = checker

    def call(self, method, path, expect=None, **kw):
        kw.setdefault("timeout", 60)
        r = self.s.request(method, self.url + path, **kw)
        self.checker.check(method, path, r)
        if expect is not None and r.status_code != expect:
            raise Failure("%s %s: expected %d, got %d: %s"
                          % (method, path, expect, r.status_code, r.text[:500]))
        return r

    def get(self, path, expect=None, **kw):
        return self.call("GET", path, expect, **kw)

    def post(self, path, body=None, expect=None, **kw):
        if body is not None:
            kw["json"] = body
        return self.call("POST", path, expect, **kw)

    def delete(self, path, expect=None, **kw):
        return self.call("DELETE", path, expect, **kw)
