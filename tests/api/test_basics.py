"""test_basics.py -- the HTTP API end to end: the published document and the design rules,
authentication, send and refusal, content round trip at the size limit, long-poll inbox, paging,
acknowledgement, consents, the directory, and a citizen number in a URL refused."""
import base64
import datetime
import os
import threading
import time

import requests

from adr_rules import violations
from harness import BSN, Failure, Net, check, wait_for

TODAY = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
MELD = [{"key": "afwegingsvraag-1", "value": "ja"}, {"key": "afwegingsvraag-2", "value": "ja"},
        {"key": "afwegingsvraag-3", "value": "nvt"}, {"key": "afwegingsvraag-4", "value": "nvt"},
        {"key": "afwegingsvraag-5", "value": "nvt"}, {"key": "onveiligheid", "value": "acuut"},
        {"key": "collegiale-consultatie", "value": TODAY},
        {"key": "client-geinformeerd", "value": "nee:gevaar-voor-kind"}]


def report(data=b"zorgen over thuissituatie", media="text/plain", ref=None, **kw):
    body = {"to": ["vt-zuid-limburg"], "subjectBsn": BSN, "category": "melding",
            "basis": "meldrecht", "justification": MELD, "userId": "j.devries",
            "userRole": "psychiater",
            "content": {"mediaType": media, "data": base64.b64encode(data).decode()}}
    if ref:
        body["clientRef"] = ref
    body.update(kw)
    return body


def rules_can_fail(doc):
    """The restated design rules catch each kind of breach (a check that cannot fail is none)."""
    import copy

    def mutated(fn):
        m = copy.deepcopy(doc)
        fn(m)
        return m

    def no_version(m):
        h = m["paths"]["/status"]["get"]["responses"]["200"]["headers"]
        h.pop("API-Version")
        h["X-Other"] = {"schema": {"type": "string"}}

    def json_error(m):
        r = m["paths"]["/status"]["get"]["responses"]["401"]
        r["content"] = {"application/json": r["content"]["application/problem+json"]}

    breaches = {
        "no contact": lambda m: m["info"].pop("contact"),
        "BSN as query parameter": lambda m: m["paths"]["/inbox"]["get"]["parameters"].append(
            {"name": "subjectBsn", "in": "query", "schema": {"type": "string"}}),
        "no API-Version": no_version,
        "trailing slash": lambda m: m["paths"].__setitem__("/status/", m["paths"]["/status"]),
        "error not problem+json": json_error,
        "not kebab-case": lambda m: m["paths"].__setitem__("/inbox_Items", m["paths"].pop("/inbox")),
        "no major version": lambda m: m["servers"][0].__setitem__("url", "https://localhost"),
    }
    for what, fn in breaches.items():
        check(violations(mutated(fn)), "the rules did not catch: " + what)


def run():
    with Net() as net:
        net.org("ggz-mondriaan", "ggz")
        net.org("vt-zuid-limburg", "veilig-thuis", "Veilig Thuis Zuid-Limburg")
        ggz_url = net.agent("ggz-mondriaan")
        vt_url = net.agent("vt-zuid-limburg")
        ggz_tok = net.client("ggz-mondriaan", "ggz-epd", "send,inbox,consent")
        vt_tok = net.client("vt-zuid-limburg", "vt-regsys", "send,inbox,consent")
        ggz = net.api(ggz_url, ggz_tok)
        vt = net.api(vt_url, vt_tok)
        net.wait_connected(ggz, 2)
        net.wait_connected(vt, 2)

        # The document: unauthenticated, CORS, and the design rules' error-level checks.
        anon = net.api(ggz_url, None)
        r = anon.get("/v1/openapi.json", 200, headers={"Origin": "https://portal.example"})
        check(r.headers.get("Access-Control-Allow-Origin") == "*", "openapi.json without CORS")
        doc = r.json()
        v = violations(doc)
        check(not v, "the document breaks the NL API Design Rules: %s" % v)
        rules_can_fail(doc)
        # A CORS preflight (not an operation: the design rules allow only the standard methods).
        pre = requests.options(ggz_url + "/v1/openapi.json", timeout=10,
                               headers={"Origin": "https://portal.example",
                                        "Access-Control-Request-Method": "GET"})
        check(pre.status_code == 204 and pre.headers.get("Access-Control-Allow-Origin") == "*"
              and pre.headers.get("API-Version"), "CORS preflight: %d" % pre.status_code)
        anon.get("/v1/health", 200)

        # Authentication: none, wrong, a missing scope, a revoked token.
        check(anon.get("/v1/status", 401).headers.get("WWW-Authenticate", "").startswith("Bearer"),
              "401 without WWW-Authenticate")
        net.api(ggz_url, "vnk_wrong").get("/v1/status", 401)
        net.api(ggz_url, ggz_tok[:-1] + ("A" if ggz_tok[-1] != "A" else "B")).get("/v1/inbox", 401)
        ro = net.api(ggz_url, net.client("ggz-mondriaan", "ggz-readonly", "inbox"))
        check(ro.post("/v1/notifications", report(), 403).json()["code"] == "forbidden",
              "a client without the send scope could send")
        ro.get("/v1/inbox", 200)
        net.run(net_vangnet(), "api-client", "revoke", "ggz-readonly", "--data",
                net.data("ggz-mondriaan"))
        ro.get("/v1/inbox", 401)

        # Status states the one size limit.
        st = ggz.get("/v1/status", 200).json()
        limit = st["maxContentBytes"]
        check(limit == 512 * 1024 and st["org"] == "ggz-mondriaan", "status: %s" % st)
        orgs = ggz.get("/v1/organisations", 200).json()
        check({o["id"] for o in orgs["items"]} == {"ggz-mondriaan", "vt-zuid-limburg"},
              "directory: %s" % orgs)
        names = {o["id"]: o.get("displayName") for o in orgs["items"]}
        check(names == {"ggz-mondriaan": None, "vt-zuid-limburg": "Veilig Thuis Zuid-Limburg"},
              "display names: %s" % names)

        # The policy as it applies to us: which bases, to whom, with which fields. The fields it
        # states for meldrecht are exactly those a Meldcode report carries (MELD, sent below).
        pol = ggz.get("/v1/policy", 200).json()
        bases = {b["basis"]: b for b in pol["bases"]}
        check(pol["sector"] == "ggz" and {"consent", "meldrecht", "advies",
                                          "conflict-van-plichten"} <= set(bases), "policy: %s" % pol)
        meld = bases["meldrecht"]
        check(meld["recipients"] == ["vt-zuid-limburg"] and meld["recipientSectors"] ==
              ["veilig-thuis"] and meld["categories"] == ["melding"] and
              meld["subject"] == "required" and not meld["consent"], "meldrecht: %s" % meld)
        fields = {f["name"]: f for f in meld["fields"]}
        check(set(fields) == {m["key"] for m in MELD}, "meldrecht fields: %s" % sorted(fields))
        check(fields["afwegingsvraag-1"]["choices"] == ["ja", "nee"] and
              fields["collegiale-consultatie"]["type"] == "date", "field types: %s" % fields)
        check(bases["advies"]["subject"] == "forbidden" and bases["consent"]["consent"] and
              [f["name"] for f in bases["consent"]["fields"]] == ["consent-ref"] and
              bases["conflict-van-plichten"]["review"], "bases: %s" % bases)
        check("terugkoppeling" not in bases, "a basis only Veilig Thuis may use: %s" % bases)
        vt_bases = {b["basis"]: b for b in vt.get("/v1/policy", 200).json()["bases"]}
        check(vt_bases["terugkoppeling"]["replyTo"] == "meldrecht" and
              vt_bases["terugkoppeling"]["recipients"] == ["ggz-mondriaan"], "vt: %s" % vt_bases)

        # No citizen number in a URL, whatever the parameter; unknown parameters refused.
        for q in ("/v1/inbox?subject=" + BSN, "/v1/inbox?q=bsn-" + BSN, "/v1/consents?x=" + BSN,
                  "/v1/inbox/" + BSN, "/v1/status?" + BSN):
            check(ggz.get(q, 400).json()["code"] == "bsn-in-url", q + " not refused as bsn-in-url")
        check(ggz.post("/v1/consents/_search?bsn=" + BSN, {"subjectBsn": BSN}, 400)
              .json()["code"] == "bsn-in-url", "BSN in a POST's query string")
        check(ggz.get("/v1/inbox?colour=red", 400).json()["code"] == "invalid-parameter",
              "unknown query parameter")

        # Long-poll: a waiting GET returns as soon as the notification arrives.
        got = {}

        def poll():
            t0 = time.time()
            got["r"] = vt.get("/v1/inbox?wait=20", 200)
            got["t"] = time.time() - t0

        th = threading.Thread(target=poll)
        th.start()
        time.sleep(1.0)
        res = ggz.post("/v1/notifications", report(ref="epd-1"), 201)
        check(res.headers["Location"] == "/v1/notifications/" + res.json()["messageId"],
              "Location header")
        sent = res.json()
        check(sent["outcome"] == "accepted" and sent["clientRef"] == "epd-1", "submit: %s" % sent)
        th.join(30)
        items = got["r"].json()["items"]
        check(len(items) == 1 and items[0]["messageId"] == sent["messageId"],
              "long-poll did not return the notification: %s" % items)
        check(0.9 < got["t"] < 10, "long-poll took %.1f s" % got["t"])
        item = items[0]
        check(item["userId"] == "j.devries" and item["userRole"] == "psychiater" and
              item["sender"] == "ggz-mondriaan" and item["justification"] == MELD,
              "received: %s" % item)
        # The recipient's system gets the citizen number the sender sealed in the content (it
        # links on it: docs/envelope.md, content format 1), there and nowhere else.
        check(item.get("subjectBsn") == BSN and got["r"].text.count(BSN) == 1,
              "the citizen number is not (only) the sealed subjectBsn: %s" % got["r"].text[:300])
        # An empty long-poll waits for its time, then answers with no items.
        vt.delete("/v1/inbox/" + item["messageId"], 204)
        vt.delete("/v1/inbox/" + item["messageId"], 404)
        t0 = time.time()
        check(vt.get("/v1/inbox?wait=2", 200).json()["items"] == [], "inbox not empty")
        check(time.time() - t0 >= 1.8, "wait=2 returned early")

        # Binary content, byte for byte, at the limit; one byte more is refused.
        blob = os.urandom(limit)
        res = ggz.post("/v1/notifications", report(blob, "application/pdf"), 201).json()
        page = vt.get("/v1/inbox?wait=10", 200).json()
        got_item = [i for i in page["items"] if i["messageId"] == res["messageId"]][0]
        check(got_item["content"]["mediaType"] == "application/pdf", "media type lost")
        check(base64.b64decode(got_item["content"]["data"]) == blob, "content changed in transit")
        vt.delete("/v1/inbox/" + res["messageId"], 204)
        big = ggz.post("/v1/notifications", report(os.urandom(limit + 1)), 413).json()
        check(big["code"] == "too-large" and str(limit) in big["detail"], "413: %s" % big)
        huge = ggz.post("/v1/notifications", data=b"{" + b" " * (2 << 20) + b"}",
                        headers={"Content-Type": "application/json"}, expect=413)
        check(huge.json()["code"] == "too-large", "a 2 MiB body was read")

        # Refusal by the policy: 422 with the stable code and the reasons in English and Dutch.
        bad = report(basis="consent", justification=[])
        p = ggz.post("/v1/notifications", bad, 422).json()
        check(p["code"] == "missing-justification:consent-ref" and p["detailNl"] and
              p["detail"] != p["detailNl"] and p["messageId"] and "auditSeq" in p,
              "refusal: %s" % p)
        # Agent-side validation: invalid BSN, unknown recipient, missing professional identity.
        check(ggz.post("/v1/notifications", report(subjectBsn="123456789"), 400).json()["code"]
              == "invalid-bsn", "invalid BSN")
        check(ggz.post("/v1/notifications", report(to=["nobody-here"]), 422).json()["code"]
              == "unknown-recipient", "unknown recipient")
        for missing in ("userId", "userRole"):
            b = report()
            del b[missing]
            check(ggz.post("/v1/notifications", b, 400).json()["code"] == "invalid-field",
                  missing + " defaulted")
        check(ggz.post("/v1/notifications", dict(report(), colour="red"), 400).json()["code"]
              == "unknown-member", "unknown member accepted")

        # Paging: five notifications, two per page, in order, by cursor.
        ids = [ggz.post("/v1/notifications", report(b"n%d" % i), 201).json()["messageId"]
               for i in range(5)]
        wait_for(lambda: vt.get("/v1/status").json()["inboxPending"] == 5, what="five in the inbox")
        seen, after = [], None
        for _ in range(4):
            page = vt.get("/v1/inbox?limit=2" + ("&after=" + after if after else ""), 200).json()
            check(len(page["items"]) <= 2, "page larger than limit")
            seen += [i["messageId"] for i in page["items"]]
            if not page["items"]:
                break
            after = page["nextCursor"]
        check(seen == ids, "paging: %s != %s" % (seen, ids))
        for i in ids:
            vt.delete("/v1/inbox/" + i, 204)

        # Consents: register, list, search by BSN in a POST body, withdraw.
        expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30))
        c = ggz.post("/v1/consents", {
            "subjectBsn": BSN, "givenBy": "client", "recipients": ["vt-zuid-limburg"],
            "categories": ["zorgsignaal"], "purpose": "zorg afstemmen",
            "expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}, 201).json()
        check(ggz.get("/v1/consents", 200).json()["items"][0]["id"] == c["id"], "consent list")
        found = ggz.post("/v1/consents/_search", {"subjectBsn": BSN}, 200).json()["items"]
        check([x["id"] for x in found] == [c["id"]], "consent search: %s" % found)
        check(ggz.post("/v1/consents/_search", {"subjectBsn": "123456782"}, 200)
              .json()["items"] == [], "search for another subject found something")
        check(ggz.post("/v1/consents", {"subjectBsn": BSN}, 400).json()["code"] == "invalid-field",
              "incomplete consent")
        check(ggz.post("/v1/consents", dict(subjectBsn=BSN, givenBy="client",
                                            recipients=["vt-zuid-limburg"], categories=["x"],
                                            purpose="p", expires="2026-02-30T00:00:00Z"), 400)
              .json()["code"] == "invalid-field", "an impossible date accepted")
        under = report(basis="consent", category="zorgsignaal",
                       justification=[{"key": "consent-ref", "value": c["id"]}])
        check(ggz.post("/v1/notifications", under, 201).json()["outcome"] == "accepted",
              "consent-based send refused")
        w = ggz.delete("/v1/consents/" + c["id"], 200).json()
        check("withdrawn" in w, "withdrawal: %s" % w)
        p = ggz.post("/v1/notifications", under, 422).json()
        check(p["code"] == "consent-withdrawn", "send after withdrawal: %s" % p)

        # Errors everywhere are problem+json with the right status.
        ggz.get("/v1/nothing-here", 404)
        ggz.call("PUT", "/v1/status", 405)
        ggz.post("/v1/notifications", data="to=x", expect=415,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        ggz.post("/v1/notifications", data="{", expect=400,
                 headers={"Content-Type": "application/json"})
        check(net.alive("ggz-mondriaan") and net.alive("vt-zuid-limburg"), "an agent died")
        return net.checker.checked


def net_vangnet():
    from harness import VANGNET
    return VANGNET


if __name__ == "__main__":
    run()
