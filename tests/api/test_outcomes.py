"""test_outcomes.py -- idempotency and outcomes through HTTP (the true-outcomes work, exposed):
a repeated clientRef returns the first outcome and creates nothing, also across a kill -9 of the
agent; a different request under it is a conflict; outcomes by messageId and by clientRef,
queued while the broker is down and accepted once it is back; the audit record names the API
client beside the professional."""
import json
import os
import signal
import time

from harness import BROKER, VANGNET, Net, check, wait_for
from test_basics import report


def audit(net):
    p = net.run(VANGNET, "audit", "show", "--json", "--data", os.path.join(net.t, "broker-data"))
    out = p.stdout.strip()
    try:
        recs = json.loads(out)
    except ValueError:
        recs = [json.loads(l) for l in out.splitlines() if l.strip()]
    return recs if isinstance(recs, list) else recs.get("records", [])


def run():
    with Net() as net:
        net.org("ggz-mondriaan", "ggz")
        net.org("vt-zuid-limburg", "veilig-thuis")
        tok = net.client("ggz-mondriaan", "ggz-epd")
        ggz = net.api(net.agent("ggz-mondriaan"), tok)
        net.agent("vt-zuid-limburg")
        net.wait_connected(ggz, 2)

        first = ggz.post("/v1/notifications", report(b"eerste", ref="epd-42"), 201).json()
        again = ggz.post("/v1/notifications", report(b"eerste", ref="epd-42"), 200).json()
        check(again["messageId"] == first["messageId"] and again.get("repeated") is True and
              again["outcome"] == "accepted", "repeat: %s" % again)
        p = ggz.post("/v1/notifications", report(b"anders", ref="epd-42"), 409).json()
        check(p["code"] == "client-ref-conflict", "conflict: %s" % p)

        got = ggz.get("/v1/notifications/" + first["messageId"], 200).json()
        check(got["outcome"] == "accepted" and got["messageId"] == first["messageId"],
              "outcome by id: %s" % got)
        got = ggz.post("/v1/notifications/_search", {"clientRef": "epd-42"}, 200).json()
        check(got["messageId"] == first["messageId"], "outcome by clientRef: %s" % got)
        ggz.get("/v1/notifications/" + "0" * 32, 404)
        ggz.post("/v1/notifications/_search", {"clientRef": "never-used"}, 404)
        ggz.get("/v1/notifications/xyz", 400)

        # A refused submit's outcome is a fact: 200 with outcome refused.
        bad = ggz.post("/v1/notifications", report(ref="epd-43", basis="consent",
                                                   justification=[]), 422).json()
        got = ggz.post("/v1/notifications/_search", {"clientRef": "epd-43"}, 200).json()
        check(got["outcome"] == "refused" and got["code"] == bad["code"], "refused: %s" % got)

        # Across a kill -9 of the sender agent: the repeat still finds the first outcome.
        url = net.stop("ggz-mondriaan", signal.SIGKILL)
        ggz = net.api(net.agent("ggz-mondriaan"), tok)
        net.wait_connected(ggz, 2)
        again = ggz.post("/v1/notifications", report(b"eerste", ref="epd-42"), 200).json()
        check(again["messageId"] == first["messageId"], "repeat after restart: %s" % again)

        # Queued while the broker is down, accepted once it is back.
        net.stop("broker")
        wait_for(lambda: not ggz.get("/v1/status").json()["connected"], what="disconnect")
        q = ggz.post("/v1/notifications", report(b"later", ref="epd-44", wait=1), 202).json()
        check(q["outcome"] == "queued", "queued: %s" % q)
        check(ggz.get("/v1/notifications/" + q["messageId"], 200).json()["outcome"] == "queued",
              "outcome while the broker is down")
        net.start("broker", [BROKER, "--config", os.path.join(net.t, "broker.conf")])
        got = ggz.get("/v1/notifications/%s?wait=20" % q["messageId"], 200).json()
        check(got["outcome"] == "accepted", "after the broker came back: %s" % got)
        again = ggz.post("/v1/notifications", report(b"later", ref="epd-44"), 200).json()
        check(again["messageId"] == q["messageId"], "repeat of a once-queued submit")

        # One outcome per message in the audit log, naming the API client and the professional.
        recs = [r for r in audit(net) if r.get("message_id") == first["messageId"]]
        accepted = [r for r in recs if r.get("event") == "ACCEPTED"]
        check(len(accepted) == 1, "ACCEPTED %d times for one message" % len(accepted))
        a = accepted[0]
        check(a.get("api_caller") == "http:ggz-epd" and a.get("user_id") == "j.devries" and
              a.get("user_role") == "psychiater", "audit record: %s" % a)
        return net.checker.checked


if __name__ == "__main__":
    run()
