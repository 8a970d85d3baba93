#!/usr/bin/env bash
# 56: signals through the agents: a client match (two organisations on one child) and a family
# match (another child of the same mother); every match notice reaches the IT system as its OWN
# case (client_ref, BSN), not a bare hash; the agents exchange contact cards sealed end to end
# (linked to the match and the recipient's case); contact details, names and BSNs never reach the
# broker's store or log in clear; the art. 15 report lists the signals and matches.
# The art. 15 report by BSN still needs the network key (v1): docs/pseudonyms.md, not done.
VN_PSEUDONYMS=v1
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org school-de-linde onderwijs
vn_org jeugdhulp-xonar jeugdhulp
for org in ggz-mondriaan school-de-linde jeugdhulp-xonar; do vn_agent_start $org; done
MOTHER=111222333 KIND_A=234567892 KIND_C=456789017
. "$(dirname "$0")/siglib.sh"
sid() { sed -n 's/^signal \(S[0-9a-f]*\) .*/\1/p' | head -n 1; }

# 1. The GGZ team does the kindcheck: a signal on the mother's child, naming her as parent.
s1=$("$VANGNET" signal add --agent "$(api ggz-mondriaan)" --youth $KIND_A --parent $MOTHER \
     --category zorg-ouder --age 7 --informed ouders --client-ref GGZ-2026-17 \
     --contact-name "Dr. A. Bakker" --contact-role psychiater --contact-phone 045-5551234 \
     --contact-email a.bakker@ggz.example --user a.bakker --role psychiater | sid)
[ -n "$s1" ] || fail "signal not registered"
"$VANGNET" signal list --agent "$(api ggz-mondriaan)" > "$T/list"
grep -q "signal $s1  registered .* bsn $KIND_A  category zorg-ouder" "$T/list" || fail "list without the local case: $(cat "$T/list")"
grep -q "contact: Dr. A. Bakker; case GGZ-2026-17" "$T/list" || fail "list without contact and case"
inbox_json ggz-mondriaan
json_check ggz-mondriaan "not notices" || fail "a lone signal made a match notice"

# 2. The school registers a signal on the same child: a client match, both told about their own case.
s2=$("$VANGNET" signal add --agent "$(api school-de-linde)" --youth $KIND_A --category schoolverzuim \
     --age 7 --informed ouders --client-ref LLN-0042 --contact-name "J. de Vries" \
     --contact-role intern-begeleider --contact-email j.devries@delinde.example | sid)
[ -n "$s2" ] || fail "second signal not registered"
wait_inbox school-de-linde "any(n['matchNotice']['event'] == 'match' and n['matchNotice']['match']['kind'] == 'client' and
    {'org': 'ggz-mondriaan', 'signalId': '$s1'}.items() <= [p for p in n['matchNotice']['match']['participants'] if p['org'] == 'ggz-mondriaan'][0].items()
    and len(n['cases']) == 1 and {'signalId': '$s2', 'youthBsn': '$KIND_A', 'clientRef': 'LLN-0042'}.items() <= n['cases'][0].items()
    for n in notices)"
wait_inbox ggz-mondriaan "any(n['matchNotice']['event'] == 'match' and n['cases'][0]['clientRef'] == 'GGZ-2026-17'
    and n['cases'][0]['youthBsn'] == '$KIND_A'
    and any(p['org'] == 'school-de-linde' and p['category'] == 'schoolverzuim' for p in n['matchNotice']['match']['participants']) for n in notices)"
mid=$(python3 -c "import json; print([i for i in json.load(open('$T/ggz-mondriaan.json'))['items'] if i['kind'] == 'match-notice'][0]['matchNotice']['match']['id'])")
[[ $mid == M* ]] || fail "no match id"
"$VANGNET" inbox --agent "$(api school-de-linde)" > "$T/school.txt"
grep -q "match notice .*: match" "$T/school.txt" && grep -q "participant ggz-mondriaan (ggz): signal $s1, zorg-ouder" "$T/school.txt" \
    && grep -q "our case: signal $s2, bsn $KIND_A, case LLN-0042" "$T/school.txt" || fail "inbox text: $(cat "$T/school.txt")"

# 3. Contact cards, sealed from agent to agent, linked to the match and to the recipient's case.
wait_inbox school-de-linde "any(c['contactCard']['from'] == 'ggz-mondriaan' and c['contactCard']['name'] == 'Dr. A. Bakker'
    and c['contactCard']['phone'] == '045-5551234' and c['contactCard']['matchId'] == '$mid' and c['matchId'] == '$mid'
    and c['category'] == 'contactkaart' and c['basis'] == 'signaal-match' and 'subjectBsn' not in c
    and c['cases'][0]['clientRef'] == 'LLN-0042' for c in cards)"
wait_inbox ggz-mondriaan "any(c['contactCard']['from'] == 'school-de-linde' and c['contactCard']['email'] == 'j.devries@delinde.example'
    and c['contactCard']['signalId'] == '$s2' for c in cards)"
"$VANGNET" match show --agent "$(api school-de-linde)" "$mid" > "$T/show"
grep -q "contact ggz-mondriaan: Dr. A. Bakker, psychiater, tel. 045-5551234, a.bakker@ggz.example (signal $s1, zorg-ouder)" "$T/show" \
    || fail "match show without the card: $(cat "$T/show")"
"$VANGNET" match list --agent "$(api school-de-linde)" --json | python3 -c "
import json,sys; m=json.load(sys.stdin)['items']; assert len(m)==1 and m[0]['id']=='$mid', m" || fail "match list"
# One card per participant: a later notice does not send it again.
audit_grep -c "ACCEPTED .*actor=ggz-mondriaan .*to=school-de-linde .*basis=signaal-match" > "$T/n" || true
[ "$(cat "$T/n")" -eq 1 ] || fail "cards from ggz to the school: $(cat "$T/n")"

# 4. A family match: youth care registers a signal on the mother's other child, naming her too.
s3=$("$VANGNET" signal add --agent "$(api jeugdhulp-xonar)" --youth $KIND_C --parent $MOTHER \
     --category verwaarlozing --age 4 --informed ouders --client-ref JH-88 \
     --contact-name "M. Peters" --contact-phone 045-5559876 | sid)
[ -n "$s3" ] || fail "family signal not registered"
wait_inbox jeugdhulp-xonar "any(n['matchNotice']['match']['kind'] == 'family' and any(p['org'] == 'ggz-mondriaan' and p['signalId'] == '$s1'
    for p in n['matchNotice']['match']['participants']) and n['cases'][0]['youthBsn'] == '$KIND_C' for n in notices)"
wait_inbox ggz-mondriaan "any(n['matchNotice']['match']['kind'] == 'family' and any(p['org'] == 'jeugdhulp-xonar' for p in n['matchNotice']['match']['participants'])
    and n['cases'][0]['signalId'] == '$s1' for n in notices)"
wait_inbox jeugdhulp-xonar "any(c['contactCard']['from'] == 'ggz-mondriaan' for c in cards)"

# 5. The broker never saw a BSN, a name or a contact detail in clear.
for secret in $MOTHER $KIND_A $KIND_C "Bakker" 045-5551234 a.bakker@ggz.example j.devries@delinde.example \
              "M. Peters" 045-5559876 GGZ-2026-17 LLN-0042; do
    ! grep -rqaF "$secret" "$T/broker-data" "$T/broker.log" || fail "'$secret' reached the broker"
done
audit_grep -q "SIGNAL_REGISTERED actor=ggz-mondriaan .*signal=$s1" || fail "registration not audited"
audit_grep -q "MATCH_NOTIFIED .*to=school-de-linde .*match=$mid" || fail "notice not audited"

# 6. The art. 15 report of the child lists its signals and who knows of whom; the mother's lists
# the signals that name her as a parent.
"$VANGNET" audit subject --data "$T/broker-data" --bsn $KIND_A --pseudonym-key "$T/keys/pseudonym.key" --out "$T/a.html"
grep -q "<td>ggz-mondriaan</td><td>zorg-ouder</td><td>jeugdige</td><td>$s1</td>" "$T/a.html" || fail "report: ggz signal"
grep -q "<td>school-de-linde</td><td>schoolverzuim</td><td>jeugdige</td><td>$s2</td>" "$T/a.html" || fail "report: school signal"
grep -q "<td>$mid</td><td>school-de-linde</td><td>match: weet van / knows of: [^<]*ggz-mondriaan" "$T/a.html" || fail "report: match $(grep -c "$mid" "$T/a.html")"
"$VANGNET" audit subject --data "$T/broker-data" --bsn $MOTHER --pseudonym-key "$T/keys/pseudonym.key" --out "$T/m.html"
grep -q "<td>ggz-mondriaan</td><td>zorg-ouder</td><td>ouder</td><td>$s1</td>" "$T/m.html" || fail "mother's report: ggz signal"
grep -q "<td>jeugdhulp-xonar</td><td>verwaarlozing</td><td>ouder</td><td>$s3</td>" "$T/m.html" || fail "mother's report: family signal"
! grep -q "$s2" "$T/m.html" || fail "the school's signal (no parent named) in the mother's report"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo ok
