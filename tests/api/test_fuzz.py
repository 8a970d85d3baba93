"""test_fuzz.py -- malformed input against every endpoint of the (sanitizer) build: broken and
deep JSON, wrong types, unknown members, invalid UTF-8, NUL bytes, huge bodies, odd methods and
headers. Every answer must be problem+json with a 4xx status, and the agent must stay alive
with no sanitizer report in its log."""
import json
import random
import socket

from harness import BSN, Net, check

ENDPOINTS = [("POST", "/v1/notifications"), ("GET", "/v1/inbox"), ("DELETE", "/v1/inbox/{id}"),
             ("POST", "/v1/consents"), ("GET", "/v1/consents"), ("POST", "/v1/consents/_search"),
             ("DELETE", "/v1/consents/{id}"), ("POST", "/v1/webhooks"), ("GET", "/v1/webhooks"),
             ("DELETE", "/v1/webhooks/{id}"), ("GET", "/v1/status"), ("GET", "/v1/organisations"),
             ("POST", "/v1/signals"), ("GET", "/v1/signals"), ("POST", "/v1/signals/_search"),
             ("DELETE", "/v1/signals/{id}"), ("GET", "/v1/matches"), ("GET", "/v1/matches/{id}"),
             ("POST", "/v1/matches/{id}/coordination"), ("GET", "/v1/vocabulary")]

VALUES = [None, True, 0, -1, 2 ** 63, 1.5, "", "x" * 5000, [], [1, 2], {}, {"a": {"b": [None]}},
          "\u0000", "\ud7ff", BSN, "111222334"]
MEMBERS = ["to", "subjectBsn", "anonymous", "category", "basis", "justification", "userId",
           "userRole", "content", "expiresIn", "wait", "clientRef", "givenBy", "recipients",
           "categories", "purpose", "validFrom", "expires", "url", "mediaType", "data", "zzz",
           "youthBsn", "parentBsns", "youthAge", "informed", "notInformedReason", "signalDate",
           "activeUntil", "contact", "name", "phone", "email", "action", "after", "limit",
           "subjectName", "subjectBirthDate"]


def bodies(rng):
    yield b""
    yield b"{"
    yield b"[]"
    yield b"null"
    yield b"{}{}"
    yield b'{"a":1} trailing'
    yield b"\xff\xfe{}"
    yield b'{"to": "\xc3\x28"}'
    yield b'{"to":["a\x00b"]}'
    yield b"[" * 5000 + b"]" * 5000
    yield b'{"a":' * 100 + b"1" + b"}" * 100
    yield json.dumps({"content": {"mediaType": "text/plain", "data": "!!!notbase64"}}).encode()
    yield json.dumps({"content": {"mediaType": "x" * 300, "data": ""}}).encode()
    yield json.dumps({"justification": [{"key": "k", "value": "v"}] * 40}).encode()
    yield json.dumps({"to": ["x"] * 1000}).encode()
    for _ in range(60):
        o = {}
        for m in rng.sample(MEMBERS, rng.randint(1, 8)):
            o[m] = rng.choice(VALUES)
        yield json.dumps(o).encode()
    for _ in range(20):
        yield bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))


def raw(url, data):
    """Send bytes as they are (for requests the library would not make)."""
    host, port = url.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def run():
    rng = random.Random(14)
    with Net() as net:
        net.org("ggz-mondriaan", "ggz")
        net.org("vt-zuid-limburg", "veilig-thuis")
        url = net.agent("ggz-mondriaan")
        api = net.api(url, net.client("ggz-mondriaan", "fuzzer", "send,inbox,consent,signal"))
        net.wait_connected(api, 2)
        n = 0
        for method, path in ENDPOINTS:
            path = path.replace("{id}", rng.choice(["0" * 32, "zz", "x" * 300, "%00", "a/b",
                                                    "M" + "0" * 32, "S" + "f" * 32]))
            for body in bodies(rng):
                r = api.call(method, path, data=body, headers={"Content-Type": "application/json"})
                n += 1
                if method == "GET" and r.status_code == 200:
                    continue  # a GET ignores a body it does not expect
                if method == "DELETE" and r.status_code in (200, 204):
                    raise AssertionError("a fuzzed DELETE succeeded")
                check(400 <= r.status_code < 500, "%s %s answered %d to %r"
                      % (method, path, r.status_code, body[:80]))
            # huge body, streamed
            r = api.call(method, path, data=b"x" * (3 << 20), headers={"Content-Type": "application/json"})
            check(r.status_code in (400, 413, 200) and (r.status_code != 200 or method == "GET"),
                  "huge body: %d" % r.status_code)
            # wrong content type
            r = api.call(method, path, data=b"{}", headers={"Content-Type": "text/plain"})
            check(r.status_code >= 400 or method != "POST", "text/plain body accepted")
        # Bad query strings and odd paths.
        for q in ["/v1/inbox?wait=-1", "/v1/inbox?wait=999", "/v1/inbox?limit=0", "/v1/inbox?after=1",
                  "/v1/inbox?after=" + "z" * 100, "/v1/inbox?" + "&".join("k%d=v" % i for i in range(50)),
                  "/v1/inbox?wait=1&wait=2&wait=3", "/v1/inbox?x=" + "%41" * 400, "/v1//inbox",
                  "/v1/%2e%2e/status", "/v2/status", "/", "/v1", "/v1/signals?limit=501",
                  "/v1/signals?after=S" + "g" * 32, "/v1/matches?after=x", "/v1/matches?limit=-5",
                  "/v1/matches/M" + "0" * 32 + "/x", "/v1/signals/_x", "/v1/vocabulary?x=1"]:
            r = api.get(q)
            n += 1
            check(400 <= r.status_code < 500, "%s answered %d" % (q, r.status_code))
        # Requests the library would not send: garbage, bad header lines, a lying length.
        for data in [b"GARBAGE\r\n\r\n", b"GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: "
                     b"Bearer " + b"A" * 70000 + b"\r\n\r\n",
                     b"POST /v1/notifications HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n"
                     b"Content-Type: application/json\r\n\r\n{",
                     b"POST /v1/notifications HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"zz\r\n"]:
            raw(url, data)
        check(net.alive("ggz-mondriaan"), "the agent died under malformed input")
        api.get("/v1/health", 200)
        log = open(net.logs["ggz-mondriaan"], errors="replace").read()
        check("AddressSanitizer" not in log and "runtime error" not in log,
              "a sanitizer report in the agent's log")
        return n


if __name__ == "__main__":
    run()
