#!/usr/bin/env bash
# 55: the subject reaches the recipient: the sealed content carries the BSN (and the name and
# birth date when given), the recipient's inbox shows them, the broker still sees only the
# pseudonym; an anonymous advice request carries none; the agent refuses malformed identities.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
echo "Synthetisch: kindcheck positief." > "$T/m.txt"
GGZ=$(api ggz-mondriaan) VT=$(api vt-zuid-limburg)

# 1. A Meldcode report with the child's name and birth date: the recipient's system gets them.
"$VANGNET" send --agent "$GGZ" --to vt-zuid-limburg --subject $BSN $MELD \
    --subject-name "Kees Synthetisch" --subject-birth-date 2018-05-17 --file "$T/m.txt" > "$T/s1"
msg=$(sed -n 's/^accepted message=\([0-9a-f]*\) .*/\1/p' "$T/s1")
[ -n "$msg" ] || fail "not accepted: $(cat "$T/s1")"
"$VANGNET" inbox --agent "$VT" --wait 10 > "$T/in1"
grep -q "subject:  bsn $BSN, Kees Synthetisch, born 2018-05-17" "$T/in1" || fail "no identity: $(cat "$T/in1")"
"$VANGNET" inbox --agent "$VT" --json > "$T/in1.json"
python3 - "$T/in1.json" "$msg" <<'PY' || fail "JSON identity"
import base64, json, sys
items = json.load(open(sys.argv[1]))["items"]
m = [i for i in items if i["messageId"] == sys.argv[2]][0]
assert m["kind"] == "notification" and m["subjectBsn"] == "111222333", m
assert m["subjectName"] == "Kees Synthetisch" and m["subjectBirthDate"] == "2018-05-17", m
assert len(m["subjectPseudonym"]) == 64 and m["subjectPseudonym"] != m["subjectBsn"], m
assert base64.b64decode(m["content"]["data"]).startswith(b"Synthetisch: kindcheck positief."), m
assert m["content"]["mediaType"] == "text/plain", m
PY
"$VANGNET" ack --agent "$VT" "$msg" >/dev/null

# 2. Without name and birth date: the BSN alone.
"$VANGNET" send --agent "$GGZ" --to vt-zuid-limburg --subject 123456782 $MELD --file "$T/m.txt" >/dev/null
"$VANGNET" inbox --agent "$VT" --wait 10 --json > "$T/in2.json"
python3 -c "
import json,sys; m=json.load(open('$T/in2.json'))['items'][0]
assert m['subjectBsn']=='123456782' and 'subjectName' not in m, m" || fail "BSN alone"
"$VANGNET" ack --agent "$VT" "$(inbox_each "$T/in2.json" 'i["messageId"]' | head -n 1)" >/dev/null

# 3. An anonymous advice request (advies) carries no identity, and may not be given one.
"$VANGNET" send --agent "$GGZ" --to vt-zuid-limburg --anonymous --category adviesvraag \
    --basis advies --file "$T/m.txt" >/dev/null || fail "advice request not accepted"
"$VANGNET" inbox --agent "$VT" --wait 10 --json > "$T/in3.json"
python3 -c "
import json; m=json.load(open('$T/in3.json'))['items'][0]
assert not {'subjectPseudonym', 'subjectBsn', 'subjectName'} & m.keys(), m" || fail "advies named someone"
set +e
"$VANGNET" send --agent "$GGZ" --to vt-zuid-limburg --anonymous --subject-name "Kees" \
    --category adviesvraag --basis advies --file "$T/m.txt" 2>"$T/e1"; r1=$?
"$VANGNET" send --agent "$GGZ" --to vt-zuid-limburg --subject $BSN $MELD \
    --subject-birth-date 2018-02-30 --file "$T/m.txt" 2>"$T/e2"; r2=$?
"$VANGNET" send --agent "$GGZ" --to vt-zuid-limburg --subject $BSN $MELD \
    --subject-name "$(printf 'a%.0s' $(seq 201))" --file "$T/m.txt" 2>"$T/e3"; r3=$?
set -e
[ $r1 -eq 5 ] && grep -q invalid-subject "$T/e1" || fail "anonymous with a name: $r1 $(cat "$T/e1")"
[ $r2 -eq 5 ] && grep -q "not a date" "$T/e2" || fail "bad birth date: $r2 $(cat "$T/e2")"
[ $r3 -eq 5 ] && grep -q invalid-subject "$T/e3" || fail "long name: $r3 $(cat "$T/e3")"

# 4. The broker saw pseudonyms only: no BSN, name or birth date in its store or log.
for secret in $BSN 123456782 "Kees Synthetisch" 2018-05-17; do
    ! grep -rqaF "$secret" "$T/broker-data" "$T/broker.log" || fail "'$secret' reached the broker"
done
# The recipient's agent does hold them (its inbox is the agency's own store) until acked.
audit_grep -q "ACCEPTED .*actor=ggz-mondriaan .*to=vt-zuid-limburg .*msg=$msg" || fail "not audited"
echo "ok"
