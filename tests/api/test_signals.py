"""test_signals.py -- the shared picture through the HTTP API only: three organisations register
signals on one youth, each sees a match notice about its own case and the match (the covenant's
coordinator, the others' contact cards), the coordinator hands over and the proposed one accepts,
the match is marked afgestemd, a notification to match:ID reaches each participant with the
sealed subject, a withdrawal reaches the others; the refusals are problem+json with the broker's
code and Dutch reason. Every answer is checked against the published OpenAPI document."""
import base64
import datetime
import json
import os

from harness import VANGNET, Failure, Net, check, wait_for
from test_webhooks import Receiver, free_port

KIND = "234567892"        # the youth, synthetic (passes the elfproef)
MOTHER = "111222333"
TODAY = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def signal(ref, category, name, **kw):
    body = {"youthBsn": KIND, "category": category, "youthAge": 7, "informed": ["ouders"],
            "userId": "p." + ref.lower(), "userRole": "professional", "clientRef": ref,
            "contact": {"name": name, "phone": "045-555" + ref[-4:].replace("-", "0")}}
    body.update(kw)
    return body


def notices(api, event, match_id=None):
    """The match notices with this event in api's inbox (not acknowledged)."""
    items = api.get("/v1/inbox?limit=100", expect=200).json()["items"]
    return [i for i in items if i["kind"] == "match-notice" and i["matchNotice"]["event"] == event
            and (match_id is None or i["matchId"] == match_id)]


def problem(r, status, code):
    body = r.json()
    check(r.status_code == status and body["code"] == code,
          "expected %d %s, got %d %s" % (status, code, r.status_code, r.text[:300]))
    return body


def run():
    with Net(vocabulary=True) as net:
        orgs = {"school-de-linde": "onderwijs", "wijkteam-heerlen": "wijkteam",
                "ggz-mondriaan": "ggz"}
        for org, sector in orgs.items():
            net.org(org, sector)
        api = {}
        for org in orgs:
            url = net.agent(org)
            api[org] = net.api(url, net.client(org, org + "-sys", "send,inbox,signal"))
            net.wait_connected(api[org], 3)
        school, wijk, ggz = api["school-de-linde"], api["wijkteam-heerlen"], api["ggz-mondriaan"]

        # The vocabulary, signed by the broker: the signal categories to choose from.
        voc = wait_for(lambda: (lambda v: v["verified"] and v)(
            school.get("/v1/vocabulary", expect=200).json()), what="the vocabulary")
        cats = {t["term"] for t in voc["terms"] if t["kind"] == "signal-category"}
        check({"schoolverzuim", "huiselijk-geweld", "zorg-ouder"} <= cats, "categories: %s" % cats)

        # Scope: a client without `signal` may not register or list.
        nosig = net.api(school.url, net.client("school-de-linde", "school-post", "send,inbox"))
        problem(nosig.post("/v1/signals", signal("LLN-0042", "schoolverzuim", "J. de Vries")),
                403, "forbidden")
        problem(nosig.get("/v1/matches"), 403, "forbidden")

        # Refusals, before anything reaches the broker and by the broker's rules.
        problem(school.post("/v1/signals", signal("X-1", "schoolverzuim", "J", youthBsn="123456789")),
                400, "invalid-bsn")
        problem(school.post("/v1/signals", signal("X-1", "schoolverzuim", "J", extra=1)),
                400, "unknown-member")
        problem(school.post("/v1/signals", signal("X-1", "geen-term", "J")), 422, "unknown-term")
        problem(school.post("/v1/signals", signal("X-1", "schoolverzuim", "J",
                                                  contact={"name": "J"})), 400, "invalid-field")
        problem(school.post("/v1/signals", signal("X-1", "schoolverzuim", "J",
                                                  parentBsns=[KIND])), 400, "invalid-field")
        problem(school.post("/v1/signals", signal("X-1", "schoolverzuim", "J",
                                                  signalDate="2026-02-30")), 400, "invalid-field")
        no_age = signal("X-1", "schoolverzuim", "J")
        del no_age["youthAge"]
        problem(school.post("/v1/signals", no_age), 400, "invalid-field")
        # A 14-year-old must have been told himself too: the broker refuses, in both languages.
        p = problem(school.post("/v1/signals", signal("X-1", "schoolverzuim", "J", youthAge=14)),
                    422, "informed-parties-wrong")
        check(p["detailNl"] != p["titleNl"] and p["detail"] != p["detailNl"],
              "the broker's Dutch reason is lost: %s" % p)
        # No citizen number in a URL, not even as a paging cursor.
        problem(school.get("/v1/signals?after=" + KIND), 400, "bsn-in-url")
        problem(school.get("/v1/signals?after=nonsense"), 400, "invalid-parameter")
        # The ids vangnet assigns are exempt, whatever digits their random part holds.
        problem(school.delete("/v1/signals/S0000000000000000" + MOTHER + "abcdefa"), 404,
                "signal-unknown")
        school.get("/v1/signals?after=S0000000000000000" + MOTHER + "abcdefa", expect=200)
        problem(school.get("/v1/signals?after=x" + MOTHER), 400, "bsn-in-url")
        problem(school.delete("/v1/signals/x" + MOTHER), 400, "bsn-in-url")
        # A message id is 32 hex digits and may start with a-f too (seen: b7766895...26841770...,
        # whose '26841770' passes the elfproef): still an id, so unknown, not a BSN.
        problem(school.get("/v1/notifications/b77668955343051fd26841770b00b955"), 404, "not-found")

        # 1. The school registers a signal; a lone signal makes no match.
        s1 = school.post("/v1/signals", signal("LLN-0042", "schoolverzuim", "J. de Vries",
                                               signalDate=TODAY), expect=201).json()
        check(s1["state"] == "active" and s1["youthBsn"] == KIND and s1["clientRef"] == "LLN-0042"
              and s1["owner"] == "school-de-linde" and s1["signalDate"] == TODAY
              and s1["contact"]["name"] == "J. de Vries" and s1["auditSeq"] > 0, "signal: %s" % s1)
        check(school.get("/v1/matches", expect=200).json()["items"] == [], "a match of one")

        # 2. The neighbourhood team on the same child, naming the mother: a client match.
        s2 = wijk.post("/v1/signals", signal("WT-2026-7", "huiselijk-geweld", "M. Jansen",
                                             parentBsns=[MOTHER]), expect=201).json()
        check(len(s2["parentPseudonyms"]) == 1 and MOTHER not in str(s2["parentPseudonyms"]),
              "parents: %s" % s2)
        n_school = wait_for(lambda: notices(school, "match"), what="the school's match notice")[0]
        n_wijk = wait_for(lambda: notices(wijk, "match"), what="the team's match notice")[0]
        mid = n_school["matchId"]
        m = n_school["matchNotice"]["match"]
        check(m["id"] == mid and m["kind"] == "client" and
              {p["org"] for p in m["participants"]} == {"school-de-linde", "wijkteam-heerlen"},
              "notice: %s" % n_school)
        # Each about its own case: its signal, its clientRef, the youth's BSN.
        check(n_school["cases"] == [{"signalId": s1["id"], "clientRef": "LLN-0042",
                                     "youthBsn": KIND, "category": "schoolverzuim"}],
              "school's case: %s" % n_school["cases"])
        check(n_wijk["cases"][0]["clientRef"] == "WT-2026-7" and n_wijk["matchId"] == mid,
              "team's case: %s" % n_wijk)
        # The covenant rules: a school never coordinates; the neighbourhood team does.
        ms = school.get("/v1/matches", expect=200).json()["items"]
        check(len(ms) == 1 and ms[0]["id"] == mid and ms[0]["coordinator"] == "wijkteam-heerlen",
              "matches: %s" % ms)
        # The contact cards, sealed from agent to agent.
        card = wait_for(lambda: [c for c in school.get("/v1/matches/" + mid, expect=200)
                                 .json()["contactCards"] if c["from"] == "wijkteam-heerlen"],
                        what="the team's contact card")[0]
        check(card["name"] == "M. Jansen" and card["signalId"] == s2["id"] and
              card["matchId"] == mid, "card: %s" % card)
        items = school.get("/v1/inbox?limit=100", expect=200).json()["items"]
        check(any(i.get("contactCard", {}).get("name") == "M. Jansen" and i["matchId"] == mid
                  and i["cases"][0]["clientRef"] == "LLN-0042" for i in items),
              "no contact card in the inbox")

        # 3. The GGZ joins: the others hear of a new signal; the team still coordinates.
        s3 = ggz.post("/v1/signals", signal("GGZ-17", "zorg-ouder", "Dr. A. Bakker"),
                      expect=201).json()
        wait_for(lambda: notices(school, "new-signal", mid), what="the school's new-signal notice")
        check(ggz.get("/v1/matches/" + mid, expect=200).json()["coordinator"] ==
              "wijkteam-heerlen", "the coordinator changed")

        # A webhook hears of a match notice too, not only of notifications: the GGZ empties its
        # inbox (both cards in), registers one, and the handover below is all that arrives.
        wait_for(lambda: len(ggz.get("/v1/matches/" + mid, expect=200).json()["contactCards"]) == 2,
                 what="the GGZ's contact cards")
        for i in ggz.get("/v1/inbox?limit=100", expect=200).json()["items"]:
            ggz.delete("/v1/inbox/" + i["messageId"], expect=204)
        port = free_port()
        hook = ggz.post("/v1/webhooks", {"url": "http://127.0.0.1:%d/vangnet" % port},
                        expect=201).json()
        receiver = Receiver(port, hook["secret"])

        # 4. Coordination: only the coordinator hands over, only to one who may coordinate.
        coord = "/v1/matches/%s/coordination" % mid
        problem(school.post(coord, {"action": "handover", "to": "ggz-mondriaan"}),
                422, "not-coordinator")
        problem(wijk.post(coord, {"action": "handover", "to": "school-de-linde"}),
                422, "may-not-coordinate")
        problem(wijk.post(coord, {"action": "handover"}), 400, "invalid-field")
        problem(wijk.post(coord, {"action": "take-over"}), 400, "invalid-field")
        problem(school.post(coord, {"action": "accept-handover"}), 422, "no-handover-offered")
        m = wijk.post(coord, {"action": "handover", "to": "ggz-mondriaan"}, expect=200).json()
        check(m["handoverTo"] == "ggz-mondriaan" and m["coordinator"] == "wijkteam-heerlen",
              "handover: %s" % m)
        wait_for(lambda: notices(ggz, "handover-offered", mid), what="the handover notice")
        wait_for(lambda: receiver.notices, what="a webhook notice of the match notice")
        check(receiver.notices[0]["pending"] >= 1 and not receiver.bad and
              KIND not in str(receiver.notices), "webhook: %s %s" % (receiver.notices, receiver.bad))
        receiver.close()
        ggz.delete("/v1/webhooks/" + hook["id"], expect=204)
        m = ggz.post(coord, {"action": "accept-handover"}, expect=200).json()
        check(m["coordinator"] == "ggz-mondriaan" and m["coordinatorByHandover"] and
              "handoverTo" not in m, "accepted: %s" % m)
        wait_for(lambda: [n for n in notices(school, "coordinator", mid)
                          if n["matchNotice"]["match"]["coordinator"] == "ggz-mondriaan"],
                 what="the school told of the new coordinator")
        m = school.post(coord, {"action": "agree"}, expect=200).json()
        check(m["agreed"], "not afgestemd: %s" % m)
        wait_for(lambda: notices(wijk, "agreed", mid), what="the agreed notice")

        # Matches that are not ours, or ids that are none.
        problem(school.get("/v1/matches/M" + os.urandom(16).hex()), 404, "not-in-match")
        problem(school.get("/v1/matches/nonsense"), 400, "invalid-id")
        problem(school.delete("/v1/signals/S" + os.urandom(16).hex()), 404, "signal-unknown")
        problem(school.delete("/v1/signals/" + s2["id"]), 404, "signal-unknown")  # not ours

        # 5. The coordinator writes to match:ID: one envelope per participant, each decided by the
        # policy, the subject sealed in the content (the broker sees a pseudonym only).
        body = {"to": ["match:" + mid], "subjectBsn": KIND, "subjectName": "Kees",
                "subjectBirthDate": "2019-05-01", "category": "afstemming",
                "basis": "conflict-van-plichten",
                "justification": [{"key": "noodzaak", "value": "overleg over een gezamenlijk plan"}],
                "userId": "a.bakker", "userRole": "psychiater",
                "content": {"mediaType": "text/plain",
                            "data": base64.b64encode(b"overleg donderdag").decode()}}
        res = ggz.post("/v1/notifications", body, expect=201).json()
        per = {p["recipient"]: p["outcome"] for p in res["perRecipient"]}
        check(per == {"school-de-linde": "accepted", "wijkteam-heerlen": "accepted"},
              "per recipient: %s" % res)
        got = wait_for(lambda: [i for i in school.get("/v1/inbox?limit=100", expect=200)
                                .json()["items"] if i.get("category") == "afstemming"],
                       what="the school's notification")[0]
        check(got["subjectBsn"] == KIND and got["subjectName"] == "Kees" and
              got["subjectBirthDate"] == "2019-05-01" and got["matchId"] == mid and
              base64.b64decode(got["content"]["data"]) == b"overleg donderdag", "got: %s" % got)
        # The CLI's --json prints the same Outcome, per-recipient verdicts and all.
        note = os.path.join(net.t, "note.txt")
        open(note, "w").write("plan")
        p = net.run(VANGNET, "send", "--agent", "ipc://%s/wijkteam-heerlen.sock" % net.t,
                    "--to", "match:" + mid, "--subject", KIND, "--basis", "conflict-van-plichten",
                    "--category", "afstemming", "--field", "noodzaak=een plan", "--user", "m.jansen",
                    "--role", "wijkcoach", "--file", note, "--json")
        cli_out = json.loads(p.stdout)
        net.checker.validate(cli_out, "Outcome", "send --to match:ID --json")
        check({r["recipient"]: r["outcome"] for r in cli_out["perRecipient"]} ==
              {"school-de-linde": "accepted", "ggz-mondriaan": "accepted"}, "CLI: %s" % cli_out)

        # The CLI's --json prints the same shapes for the signal verbs (one JSON module).
        def cli(*args):
            out = json.loads(net.run(VANGNET, *args).stdout)
            return out
        school_ep = "ipc://%s/school-de-linde.sock" % net.t
        shown = cli("match", "show", "--agent", school_ep, mid, "--json")
        net.checker.validate(shown, "Match", "match show --json")
        http_m = school.get("/v1/matches/" + mid, expect=200).json()
        check(shown == http_m, "match: CLI %s, HTTP %s" % (shown, http_m))
        # inbox --json: the HTTP API's InboxPage, item for item (match notices, contact cards).
        inbox = cli("inbox", "--agent", school_ep, "--max", "100", "--json")
        net.checker.validate(inbox, "InboxPage", "inbox --json")
        http_in = {i["messageId"]: i for i in
                   school.get("/v1/inbox?limit=100", expect=200).json()["items"]}
        check("match-notice" in [i["kind"] for i in inbox["items"]], "inbox: %s" % inbox)
        for i in inbox["items"]:
            check(i == http_in.get(i["messageId"]), "inbox item: CLI %s, HTTP %s"
                  % (i, http_in.get(i["messageId"])))
        check(inbox["nextCursor"] == inbox["items"][-1]["inboxCursor"], "cursor: %s" % inbox)
        net.checker.validate(cli("match", "list", "--agent", school_ep, "--json"), "MatchList")
        lst = cli("signal", "list", "--agent", school_ep, "--json")
        net.checker.validate(lst, "SignalList", "signal list --json")
        check([s["id"] for s in lst["items"]] == [s1["id"]] and
              lst["items"][0]["clientRef"] == "LLN-0042" and lst["items"][0]["youthBsn"] == KIND,
              "CLI signals: %s" % lst)
        voc_cli = cli("vocab", "--agent", school_ep, "--json")
        net.checker.validate(voc_cli, "Vocabulary", "vocab --json")
        check(voc_cli == voc, "vocab: CLI and HTTP differ")

        # 6. Lists and search by the youth's BSN in a body.
        mine = school.post("/v1/signals/_search", {"youthBsn": KIND}, expect=200).json()["items"]
        check([s["id"] for s in mine] == [s1["id"]], "search: %s" % mine)
        check(school.post("/v1/signals/_search", {"youthBsn": MOTHER}, expect=200)
              .json()["items"] == [], "a search found another youth's signal")
        page = school.get("/v1/signals?limit=1", expect=200).json()
        check([s["id"] for s in page["items"]] == [s1["id"]], "list: %s" % page)

        # 7. The school withdraws: the others are told, the match goes on without it.
        w = school.delete("/v1/signals/" + s1["id"], expect=200).json()
        check(w["state"] == "withdrawn" and "withdrawn" in w, "withdrawn: %s" % w)
        n = wait_for(lambda: notices(wijk, "signal-withdrawn"), what="the withdrawal notice")[0]
        check(s1["id"] not in [p["signalId"] for p in n["matchNotice"]["match"]["participants"]],
              "the withdrawn signal is still in the match: %s" % n)
        check(school.get("/v1/matches", expect=200).json()["items"] == [],
              "the school still sees the match")

        # Notices are acknowledged like any inbox item.
        for i in school.get("/v1/inbox?limit=100", expect=200).json()["items"]:
            school.delete("/v1/inbox/" + i["messageId"], expect=204)
        check(school.get("/v1/inbox", expect=200).json()["items"] == [], "inbox not empty")

        # The broker never saw a citizen number, a case reference or a contact detail in clear.
        secrets = [KIND, MOTHER, "LLN-0042", "WT-2026-7", "GGZ-17", "J. de Vries", "M. Jansen",
                   "Dr. A. Bakker", "Kees", "overleg donderdag"]
        for root, _, files in os.walk(os.path.join(net.t, "broker-data")):
            for f in files:
                data = open(os.path.join(root, f), "rb").read()
                for sec in secrets:
                    if sec.encode() in data:
                        raise Failure("'%s' reached the broker's store (%s)" % (sec, f))
        log = open(net.logs["broker"], "rb").read()
        for sec in secrets:
            check(sec.encode() not in log, "'%s' in the broker's log" % sec)
        check(s3["id"].startswith("S"), "signal id")
        return school.checker.checked
