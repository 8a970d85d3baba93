"""openapi_check.py -- checks an HTTP answer against the agent's published OpenAPI document: the
status is documented for the operation, the content type is the documented one, the JSON body
validates against the documented schema (python3-jsonschema), and the headers the NL API Design
Rules ask for are there."""
import json
import re
from urllib.parse import urlsplit

import jsonschema

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class CheckError(Exception):
    pass


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.base = urlsplit(doc["servers"][0]["url"]).path      # "/v1"
        self.routes = []
        for template, item in doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(self.base + template)) + "$"
            self.routes.append((re.compile(rx), template, item))
        self.checked = 0

    def schema_validator(self, schema):
        root = dict(schema)
        root["components"] = self.doc["components"]
        return jsonschema.Draft7Validator(root, format_checker=jsonschema.FormatChecker())

    def operation(self, method, path):
        path = urlsplit(path).path
        for rx, template, item in self.routes:
            if rx.match(path):
                op = item.get(method.lower())
                if method == "HEAD":
                    op = item.get("get")
                return template, op
        return None, None

    def check(self, method, path, r):
        self.checked += 1
        where = "%s %s -> %d" % (method, path, r.status_code)
        if r.headers.get("API-Version") != self.doc["info"]["version"]:
            raise CheckError(where + ": API-Version header missing or wrong")
        for h, v in SECURITY_HEADERS.items():
            if r.headers.get(h) != v:
                raise CheckError(where + ": header %s is not %s" % (h, v))
        if "default-src 'none'" not in r.headers.get("Content-Security-Policy", ""):
            raise CheckError(where + ": no strict Content-Security-Policy")
        ctype = r.headers.get("Content-Type", "").split(";")[0]
        if r.status_code >= 400:
            if ctype != "application/problem+json":
                raise CheckError(where + ": an error that is not application/problem+json")
            body = r.json()
            for m in ("status", "title", "detail", "code", "titleNl", "detailNl"):
                if m not in body:
                    raise CheckError(where + ": problem without " + m)
            if body["status"] != r.status_code:
                raise CheckError(where + ": problem status differs from the HTTP status")
        template, op = self.operation(method, path)
        if template is None or op is None:
            # Not a documented operation: only an error may answer it.
            if r.status_code < 400:
                raise CheckError(where + ": a success for an undocumented operation")
            self.validate(body, "Problem", where)
            return
        resp = op["responses"].get(str(r.status_code))
        if resp is None:
            raise CheckError(where + ": status not documented for " + op["operationId"])
        if "API-Version" not in resp.get("headers", {}):
            raise CheckError(where + ": the document does not declare API-Version here")
        content = resp.get("content")
        if not content:
            if r.content:
                raise CheckError(where + ": a body where the document says none")
            return
        if ctype not in content:
            raise CheckError(where + ": content type %s not documented" % ctype)
        schema = content[ctype]["schema"]
        try:
            body = r.json()
        except ValueError:
            raise CheckError(where + ": body is not JSON")
        errors = sorted(self.schema_validator(schema).iter_errors(body), key=str)
        if errors:
            raise CheckError(where + ": does not match the document: " + str(errors[0].message)
                             + " at " + "/".join(map(str, errors[0].absolute_path)))

    def validate(self, body, schema_name, where="value"):
        v = self.schema_validator({"$ref": "#/components/schemas/" + schema_name})
        errors = list(v.iter_errors(body))
        if errors:
            raise CheckError(where + ": not a " + schema_name + ": " + errors[0].message)
