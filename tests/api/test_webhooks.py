"""test_webhooks.py -- notified pull: a webhook registered through the API receives an
HMAC-signed notice (no content, no citizen number) when a notification arrives; a receiver that
was down gets it on a retry; the secret is shown once; deleting stops the notices."""
import base64
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time

from harness import BSN, Net, check, wait_for
from test_basics import report


class Receiver:
    """A webhook receiver on a fixed port that verifies every notice's signature."""

    def __init__(self, port, secret):
        self.port, self.secret, self.notices, self.bad = port, secret, [], []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sig = dict(kv.split("=", 1) for kv in self.headers["Vangnet-Signature"].split(","))
                mac = hmac.new(bytes.fromhex(outer.secret), sig["t"].encode() + b"." + body,
                               hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(mac, sig["v1"]) and abs(time.time() - int(sig["t"])) < 300
                (outer.notices if ok else outer.bad).append(json.loads(body))
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = http.server.HTTPServer(("127.0.0.1", port), H)
        self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.th.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run():
    with Net() as net:
        net.org("ggz-mondriaan", "ggz")
        net.org("vt-zuid-limburg", "veilig-thuis")
        ggz = net.api(net.agent("ggz-mondriaan"), net.client("ggz-mondriaan", "epd"))
        vt_url = net.agent("vt-zuid-limburg")
        vt_tok = net.client("vt-zuid-limburg", "regsys")
        vt = net.api(vt_url, vt_tok)
        net.wait_connected(ggz, 2)
        net.wait_connected(vt, 2)
        port = free_port()
        url = "http://127.0.0.1:%d/vangnet" % port
        for bad in ("ftp://x", "http://user@host/", "not a url", 5):
            check(vt.post("/v1/webhooks", {"url": bad}, 400).json()["code"] == "invalid-field",
                  "webhook url %r accepted" % bad)
        hook = vt.post("/v1/webhooks", {"url": url}, 201).json()
        secret = hook["secret"]
        listed = vt.get("/v1/webhooks", 200).json()["items"]
        check(len(listed) == 1 and "secret" not in listed[0] and listed[0]["apiClient"] == "regsys",
              "webhook list: %s" % listed)

        # The receiver is down when the notification arrives: the agent retries with backoff.
        sent = ggz.post("/v1/notifications", report(b"geheim-inhoud"), 201).json()
        time.sleep(2.5)
        rx = Receiver(port, secret)
        try:
            wait_for(lambda: rx.notices, 30, "a notice after the receiver came up")
            n = rx.notices[0]
            check(n["type"] == "inbox" and n["pending"] >= 1 and n["org"] == "vt-zuid-limburg",
                  "notice: %s" % n)
            raw = json.dumps(n)
            check(BSN not in raw and "geheim" not in raw and sent["messageId"] not in raw,
                  "the notice carries content, a BSN or an id: %s" % raw)
            check(not rx.bad, "a notice with a bad signature")
            log = open(net.logs["vt-zuid-limburg"]).read()
            check("event=webhook-failed" in log, "no failed attempt logged before the retry")
            # The system then fetches.
            items = vt.get("/v1/inbox", 200).json()["items"]
            check(items and items[0]["messageId"] == sent["messageId"], "fetch after notice")
            vt.delete("/v1/inbox/" + sent["messageId"], 204)
            # A second arrival: a second notice, promptly.
            before = len(rx.notices)
            ggz.post("/v1/notifications", report(b"tweede"), 201)
            wait_for(lambda: len(rx.notices) > before, 10, "a second notice")
            # Deleted: no more notices.
            vt.delete("/v1/webhooks/" + hook["id"], 204)
            vt.delete("/v1/webhooks/" + hook["id"], 404)
            time.sleep(0.5)
            before = len(rx.notices)
            ggz.post("/v1/notifications", report(b"derde"), 201)
            wait_for(lambda: vt.get("/v1/status").json()["inboxPending"] >= 2, 10, "delivery")
            time.sleep(2)
            check(len(rx.notices) == before, "a deleted webhook was notified")
            # Long-poll needs no webhook.
            check(len(vt.get("/v1/inbox?wait=5", 200).json()["items"]) >= 2, "long-poll")
        finally:
            rx.close()
        # Registrations survive a restart.
        vt.post("/v1/webhooks", {"url": url}, 201)
        net.stop("vt-zuid-limburg")
        vt = net.api(net.agent("vt-zuid-limburg"), vt_tok)
        check([h["url"] for h in vt.get("/v1/webhooks", 200).json()["items"]] == [url],
              "the webhook did not survive a restart")
        return net.checker.checked


if __name__ == "__main__":
    run()
