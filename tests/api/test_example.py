"""test_example.py -- runs examples/python/adapter.py against a real broker and agents: the
sender's adapter shares a file, the recipient's adapter receives it through its webhook, stores
it byte for byte and acknowledges it."""
import base64
import datetime
import json
import os
import subprocess
import sys
import time

from harness import BSN, REPO, Net, check, wait_for

ADAPTER = os.path.join(REPO, "examples", "python", "adapter.py")


def run():
    with Net() as net:
        net.org("ggz-mondriaan", "ggz")
        net.org("vt-zuid-limburg", "veilig-thuis")
        g_url, v_url = net.agent("ggz-mondriaan"), net.agent("vt-zuid-limburg")
        g_tok, v_tok = net.client("ggz-mondriaan", "epd"), net.client("vt-zuid-limburg", "regsys")
        net.wait_connected(net.api(g_url, g_tok), 2)
        net.wait_connected(net.api(v_url, v_tok), 2)
        out = os.path.join(net.t, "case-system")
        os.makedirs(out)
        log = open(os.path.join(net.t, "serve.log"), "w")
        serve = subprocess.Popen([sys.executable, ADAPTER, "serve", "--agent", v_url, "--token",
                                  v_tok, "--listen", "127.0.0.1:0", "--out", out, "--once"],
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: net.api(v_url, v_tok).get("/v1/webhooks").json()["items"],
                     what="the adapter's webhook")
            doc = os.path.join(net.t, "verslag.pdf")
            data = os.urandom(20000)
            open(doc, "wb").write(data)
            today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
            fields = ["afwegingsvraag-1=ja", "afwegingsvraag-2=ja", "afwegingsvraag-3=nvt",
                      "afwegingsvraag-4=nvt", "afwegingsvraag-5=nvt", "onveiligheid=acuut",
                      "collegiale-consultatie=" + today, "client-geinformeerd=ja"]
            p = subprocess.run([sys.executable, ADAPTER, "send", "--agent", g_url, "--token",
                                g_tok, "--to", "vt-zuid-limburg", "--bsn", BSN, "--basis",
                                "meldrecht", "--category", "melding", "--user", "j.devries",
                                "--role", "psychiater", "--file", doc]
                               + sum((["--field", f] for f in fields), []),
                               capture_output=True, text=True)
            check(p.returncode == 0, "adapter send: %s %s" % (p.stdout, p.stderr))
            sent = json.loads(p.stdout)
            check(serve.wait(30) == 0, "the receiving adapter did not finish")
            stored = json.load(open(os.path.join(out, sent["messageId"] + ".json")))
            check(base64.b64decode(stored["content"]["data"]) == data and
                  stored["content"]["mediaType"] == "application/pdf", "stored content differs")
            check(net.api(v_url, v_tok).get("/v1/status").json()["inboxPending"] == 0,
                  "the adapter did not acknowledge")
            # A refusal comes back with its code and exit status 3.
            p = subprocess.run([sys.executable, ADAPTER, "send", "--agent", g_url, "--token",
                                g_tok, "--to", "vt-zuid-limburg", "--bsn", BSN, "--basis",
                                "consent", "--category", "zorgsignaal", "--user", "a", "--role",
                                "b", "--file", doc], capture_output=True, text=True)
            check(p.returncode == 3 and json.loads(p.stdout)["code"].startswith("missing-"),
                  "refusal: %s" % p.stdout)
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
        time.sleep(0)
        return net.checker.checked


if __name__ == "__main__":
    run()
