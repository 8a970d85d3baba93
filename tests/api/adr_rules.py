"""adr_rules.py -- the NL API Design Rules checks of Logius' Spectral ruleset (error level),
restated for the project's own tests so CI needs neither npm nor the ruleset file. Returns a
list of violations of an OpenAPI document."""
import re

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
KEBAB = re.compile(r"^(\/|(\/_[a-z0-9]+|\/(([a-z0-9\-]+|{[^}]+})(\/([a-z0-9\-\.]+|{[^}]+}))*)"
                   r"(\/_[a-z]+)?)\/?)$")
CAMEL = re.compile(r"^\$?[a-z][a-z\d]*([A-Z][a-z\d]*)*$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
DATE_NAME = re.compile(r"((\w+D)|(_[dD]))((ate)|(atum))")


def resolve(doc, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        parts = node["$ref"].lstrip("#/").split("/")
        node = doc
        for p in parts:
            node = node[p]
        seen += 1
    return node


def walk_properties(doc, schema, out, depth=0):
    """Yield (name, property schema) of every property reachable from schema."""
    schema = resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 12:
        return
    for name, prop in schema.get("properties", {}).items():
        out.append((name, resolve(doc, prop)))
        walk_properties(doc, prop, out, depth + 1)
    if "items" in schema:
        walk_properties(doc, schema["items"], out, depth + 1)
    for k in ("allOf", "anyOf", "oneOf"):
        for s in schema.get(k, []):
            walk_properties(doc, s, out, depth + 1)


def violations(doc):
    v = []
    if not re.match(r"^3(.\d+){1,2}$", str(doc.get("openapi", ""))):
        v.append("openapi must be 3.x.y")
    info = doc.get("info", {})
    contact = info.get("contact")
    if not contact:
        v.append("info.contact missing")
    elif not all(contact.get(k) for k in ("email", "name", "url")):
        v.append("info.contact needs email, name and url")
    if not SEMVER.match(str(info.get("version", ""))):
        v.append("info.version is not semver")
    servers = doc.get("servers", [])
    if not servers:
        v.append("no servers")
    for s in servers:
        if not re.search(r"\/v[\d+]", s.get("url", "")):
            v.append("server url without the major version: " + s.get("url", ""))
    op_ids = set()
    tags = [t["name"] for t in doc.get("tags", [])]
    if len(tags) != len(set(tags)):
        v.append("tags not unique")
    for path, item in doc.get("paths", {}).items():
        if len(path) > 1 and path.endswith("/"):
            v.append(path + ": trailing slash")
        if not re.search(r"\/openapi\.(json)|(yaml)", path) and not KEBAB.match(path):
            v.append(path + ": not kebab-case")
        params_in_path = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            if method not in METHODS and method != "parameters":
                v.append(path + ": " + method + " is not an HTTP method")
                continue
            if method == "parameters":
                continue
            if method not in {"get", "put", "post", "delete", "patch"}:
                v.append(path + ": only standard methods")
            oid = op.get("operationId")
            if not oid or oid in op_ids:
                v.append(path + " " + method + ": operationId missing or not unique")
            op_ids.add(oid)
            params = [resolve(doc, p) for p in op.get("parameters", [])]
            declared = {p["name"] for p in params if p.get("in") == "path"}
            if declared != params_in_path:
                v.append(path + " " + method + ": path parameters do not match")
            for p in params:
                if p.get("in") == "query" and not CAMEL.match(p["name"]):
                    v.append(path + ": query key %s is not lowerCamelCase" % p["name"])
                if p.get("in") == "query" and re.search(r"bsn|burgerservice", p["name"], re.I):
                    v.append(path + ": a citizen number as a query parameter")
            responses = op.get("responses", {})
            if (method in {"put", "post", "patch"} or (method in {"get", "delete"} and params)) \
                    and "400" not in responses:
                v.append(path + " " + method + ": must be able to answer 400")
            for status, resp in responses.items():
                resp = resolve(doc, resp)
                if re.match(r"^[23]\d\d$", status):
                    headers = resp.get("headers")
                    if not headers:
                        v.append("%s %s %s: no headers" % (path, method, status))
                    elif not any(h.lower() == "api-version" for h in headers):
                        v.append("%s %s %s: no API-Version header" % (path, method, status))
                if re.match(r"^[45]\d\d$", status):
                    content = resp.get("content", {})
                    if "application/problem+json" not in content and \
                            "application/problem+xml" not in content:
                        v.append("%s %s %s: error not problem+json" % (path, method, status))
                    for ct, c in content.items():
                        schema = resolve(doc, c.get("schema", {}))
                        props = schema.get("properties", {})
                        if not all(k in props for k in ("status", "title", "detail")):
                            v.append("%s %s %s: problem schema lacks status, title, detail"
                                     % (path, method, status))
    props = []
    for s in doc.get("components", {}).get("schemas", {}).values():
        walk_properties(doc, s, props)
    for name, p in props:
        fmt = p.get("format") if isinstance(p, dict) else None
        if fmt == "date-time-local":
            v.append(name + ": date-time without a time zone")
        if fmt == "time":
            v.append(name + ": time with a time zone")
        if (name in ("date", "datum") or DATE_NAME.search(name)) and fmt != "date":
            v.append(name + ": a date field must have format date")
    return v
