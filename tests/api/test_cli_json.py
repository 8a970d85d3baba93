"""test_cli_json.py -- `--json` of the agency verbs prints the HTTP API's shapes: each output is
validated against the same OpenAPI components, and the CLI's and the HTTP API's answers for the
same notification, consent, status and inbox agree member for member."""
import datetime
import json
import os

from harness import BSN, VANGNET, Net, check
from test_basics import MELD


def run():
    with Net() as net:
        net.org("ggz-mondriaan", "ggz")
        net.org("vt-zuid-limburg", "veilig-thuis")
        api = net.api(net.agent("ggz-mondriaan"), net.client("ggz-mondriaan", "epd"))
        vt = net.api(net.agent("vt-zuid-limburg"), net.client("vt-zuid-limburg", "regsys"))
        net.wait_connected(api, 2)
        ep = "ipc://%s/ggz-mondriaan.sock" % net.t
        vt_ep = "ipc://%s/vt-zuid-limburg.sock" % net.t
        c = net.checker

        def cli(*args, ok=(0,)):
            p = net.run(VANGNET, *args, ok=False)
            check(p.returncode in ok, "%s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
            return json.loads(p.stdout)

        note = os.path.join(net.t, "note.txt")
        open(note, "w").write("zorgen")
        fields = sum((["--field", "%s=%s" % (f["key"], f["value"])] for f in MELD), [])
        sent = cli("send", "--agent", ep, "--to", "vt-zuid-limburg", "--subject", BSN,
                   "--basis", "meldrecht", "--category", "melding", "--user", "j.devries",
                   "--role", "psychiater", "--client-ref", "cli-1", "--file", note, "--json", *fields)
        c.validate(sent, "Outcome", "send --json")
        check(sent["outcome"] == "accepted" and sent["clientRef"] == "cli-1", "send: %s" % sent)
        out = cli("outcome", "--agent", ep, "--id", sent["messageId"], "--json")
        c.validate(out, "Outcome", "outcome --json")
        http = api.get("/v1/notifications/" + sent["messageId"], 200).json()
        for k in ("messageId", "outcome", "auditSeq", "auditHash", "submitted", "decided"):
            check(out.get(k) == http.get(k), "outcome %s: CLI %r, HTTP %r" % (k, out.get(k), http.get(k)))
        refused = cli("send", "--agent", ep, "--to", "vt-zuid-limburg", "--subject", BSN,
                      "--basis", "consent", "--category", "zorgsignaal", "--user", "a", "--role",
                      "b", "--file", note, "--json", ok=(3,))
        c.validate(refused, "Outcome", "refused send --json")
        check(refused["code"].startswith("missing-justification") and refused["reasonNl"],
              "refused: %s" % refused)

        st = cli("status", "--agent", ep, "--json")
        c.validate(st, "Status", "status --json")
        hs = api.get("/v1/status", 200).json()
        for k in ("org", "connected", "maxContentBytes", "apiVersion", "directoryOrgs"):
            check(st[k] == hs[k], "status %s: CLI %r, HTTP %r" % (k, st[k], hs[k]))

        until = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
        con = cli("consent", "add", "--agent", ep, "--subject", BSN, "--given-by", "client",
                  "--to", "vt-zuid-limburg", "--categories", "zorgsignaal", "--purpose", "afstemmen",
                  "--until", until, "--json")
        c.validate(con, "Consent", "consent add --json")
        lst = cli("consent", "list", "--agent", ep, "--json")
        c.validate(lst, "ConsentList", "consent list --json")
        hl = api.get("/v1/consents", 200).json()
        check(lst == hl, "consent list: CLI %s, HTTP %s" % (lst, hl))
        w = cli("consent", "withdraw", "--agent", ep, con["id"], "--json")
        c.validate(w, "Consent", "consent withdraw --json")
        check("withdrawn" in w, "withdrawn: %s" % w)

        hin = vt.get("/v1/inbox?wait=10", 200).json()
        item = hin["items"][0]
        inbox = cli("inbox", "--agent", vt_ep, "--json")
        c.validate(inbox, "InboxPage", "inbox --json")
        check(inbox["items"][0]["kind"] == "notification" and
              inbox["items"][0]["content"]["data"] == "em9yZ2Vu", "inbox: %s" % inbox)
        check(inbox == hin, "inbox: CLI %s, HTTP %s" % (inbox, hin))
        ack = cli("ack", "--agent", vt_ep, item["messageId"], "--json")
        c.validate(ack, "Acknowledgement", "ack --json")
        keys = cli("api-client", "list", "--data", net.data("ggz-mondriaan"), "--json")
        check([k["name"] for k in keys] == ["epd"], "api-client list --json: %s" % keys)
        return c.checked


if __name__ == "__main__":
    run()
