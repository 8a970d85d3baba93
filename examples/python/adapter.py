#!/usr/bin/env python3
"""adapter.py -- a small agency-system adapter for the vangnet agent's HTTP API, in plain Python
(python3-requests only). It sends a notification when a professional presses "share" in the case
system, and receives by notified pull: a webhook receiver verifies the agent's HMAC-signed notice,
then fetches the inbox, hands each item to the case system and acknowledges it.

    adapter.py send  --agent URL --token T --to ORG --bsn BSN --basis B --category C \\
                     --user ID --role ROLE --file PATH [--field KEY=VALUE ...]
    adapter.py serve --agent URL --token T --listen 127.0.0.1:8089 --out DIR [--once]

`serve` registers its webhook, stores each received notification as DIR/MESSAGEID.json (the
stand-in for the case system), and acknowledges it only once stored."""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import mimetypes
import os
import sys
import threading
import time

import requests


class Agent:
    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.s = requests.Session()
        self.s.headers["Authorization"] = "Bearer " + token

    def _check(self, r):
        if r.status_code >= 400:
            p = r.json()   # application/problem+json: code, detail, detailNl
            raise RuntimeError("%s (%s): %s" % (p["title"], p["code"], p["detail"]))
        return r

    def send(self, to, bsn, basis, category, user, role, data, media_type, fields, ref=None):
        body = {"to": to, "subjectBsn": bsn, "basis": basis, "category": category,
                "justification": [{"key": k, "value": v} for k, v in fields],
                "userId": user, "userRole": role,
                "content": {"mediaType": media_type, "data": base64.b64encode(data).decode()}}
        if ref:
            body["clientRef"] = ref
        r = self.s.post(self.url + "/v1/notifications", json=body, timeout=30)
        if r.status_code == 422:
            p = r.json()
            return {"outcome": "refused", "code": p["code"], "reason": p["detail"],
                    "reasonNl": p["detailNl"]}
        return self._check(r).json()

    def register_webhook(self, url):
        return self._check(self.s.post(self.url + "/v1/webhooks", json={"url": url},
                                       timeout=10)).json()

    def delete_webhook(self, hook_id):
        self._check(self.s.delete(self.url + "/v1/webhooks/" + hook_id, timeout=10))

    def inbox(self, wait=0):
        after = None
        while True:
            q = "?limit=50" + ("&after=" + after if after else "&wait=%d" % wait)
            page = self._check(self.s.get(self.url + "/v1/inbox" + q, timeout=wait + 30)).json()
            yield from page["items"]
            if not page["items"]:
                return
            after = page["nextCursor"]

    def ack(self, message_id):
        self._check(self.s.delete(self.url + "/v1/inbox/" + message_id, timeout=10))


def verify(secret_hex, header, body, max_age=300):
    """The agent signs "TIMESTAMP.BODY" with HMAC-SHA256 under the webhook's secret."""
    try:
        parts = dict(kv.split("=", 1) for kv in header.split(","))
        mac = hmac.new(bytes.fromhex(secret_hex), parts["t"].encode() + b"." + body,
                       hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, parts["v1"]) and abs(time.time() - int(parts["t"])) < max_age
    except (KeyError, ValueError):
        return False


def receive(agent, out):
    """Fetch everything waiting, store it in the case system, then acknowledge it."""
    n = 0
    for item in list(agent.inbox()):
        path = os.path.join(out, item["messageId"] + ".json")
        with open(path + ".tmp", "w") as f:
            json.dump(item, f)
            f.flush()
            os.fsync(f.fileno())
        os.rename(path + ".tmp", path)
        agent.ack(item["messageId"])
        n += 1
    return n


def serve(args):
    agent = Agent(args.agent, args.token)
    host, port = args.listen.rsplit(":", 1)
    wake = threading.Event()
    state = {}

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not verify(state["secret"], self.headers.get("Vangnet-Signature", ""), body):
                self.send_response(401)
                self.end_headers()
                return
            self.send_response(204)
            self.end_headers()
            wake.set()

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer((host, int(port)), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    hook = agent.register_webhook("http://%s:%d/vangnet-notice" % (host, srv.server_port))
    state["secret"] = hook["secret"]
    print("listening on %s:%d, webhook %s" % (host, srv.server_port, hook["id"]), flush=True)
    try:
        receive(agent, args.out)           # whatever waited before we registered
        while True:
            wake.wait(30)                  # a notice, or a periodic look anyway
            wake.clear()
            n = receive(agent, args.out)
            if n:
                print("received %d" % n, flush=True)
                if args.once:
                    return 0
    finally:
        agent.delete_webhook(hook["id"])
        srv.shutdown()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    r = sub.add_parser("serve")
    for p in (s, r):
        p.add_argument("--agent", required=True)
        p.add_argument("--token", required=True)
    s.add_argument("--to", required=True, action="append")
    s.add_argument("--bsn", required=True)
    s.add_argument("--basis", required=True)
    s.add_argument("--category", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--role", required=True)
    s.add_argument("--file", required=True)
    s.add_argument("--field", action="append", default=[])
    s.add_argument("--ref")
    r.add_argument("--listen", default="127.0.0.1:0")
    r.add_argument("--out", required=True)
    r.add_argument("--once", action="store_true")
    args = ap.parse_args()
    if args.cmd == "serve":
        return serve(args)
    with open(args.file, "rb") as f:
        data = f.read()
    media = mimetypes.guess_type(args.file)[0] or "application/octet-stream"
    res = Agent(args.agent, args.token).send(
        args.to, args.bsn, args.basis, args.category, args.user, args.role, data, media,
        [tuple(x.split("=", 1)) for x in args.field], args.ref)
    print(json.dumps(res))
    return 0 if res["outcome"] == "accepted" else 3 if res["outcome"] == "refused" else 4


if __name__ == "__main__":
    sys.exit(main())
