#!/usr/bin/env bash
# 59: the policy on signals and on match:ID. The signed vocabulary reaches the agents, which show
# it and refuse terms outside it; a sector the policy does not let signal is refused; the
# informed-parties rule by age; a youth over 23 refused. A notification to match:ID expands to the
# match's participants and the policy still decides per recipient: under a consent that covers one
# of them only that one gets it; a Meldcode report only Veilig Thuis; the recipient's system gets
# the child's BSN; nothing of it to a non-participant.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/siglib.sh"
vn_setup
# Schools may not signal under this (test) policy.
policy_with 's/^senders = jeugdhulp, ggz, wijkteam, onderwijs,/senders = jeugdhulp, ggz, wijkteam,/'
grep -q "^senders = jeugdhulp, ggz, wijkteam, huisarts" "$T/policy.conf" || fail "test policy not made"
vn_broker_start
ORGS="ggz-mondriaan:ggz wijkteam-heerlen:wijkteam vt-zuid-limburg:veilig-thuis school-de-linde:onderwijs jeugdhulp-xonar:jeugdhulp"
for o in $ORGS; do vn_org "${o%%:*}" "${o##*:}"; done
for o in $ORGS; do vn_agent_start "${o%%:*}"; done
GGZ=$(api ggz-mondriaan)
rc_of() { set +e; "$@" >"$T/o" 2>"$T/e"; echo $?; set -e; }

# 1. The vocabulary, signed by the broker, is at every agent.
wait_for "'$VANGNET' vocab --agent $GGZ > '$T/vocab' && grep -q '^vocabulary vangnet-begrippen, revision [0-9]' '$T/vocab'"
grep -q "^signal-category:" "$T/vocab" && grep -q "^  zorg-ouder " "$T/vocab" || fail "vocab: $(head "$T/vocab")"
"$VANGNET" vocab --agent "$GGZ" --json | python3 -c "
import json,sys; v=json.load(sys.stdin); assert v['revision'] >= 1 and any(t['term']=='melding' and t['kind']=='category' for t in v['terms'])" || fail "vocab json"
"$VANGNET" signal add --agent "$GGZ" --youth 234567892 --category zorgen-algemeen --age 7 --informed ouders \
    --contact-name X --contact-phone 1 2>"$T/e" && fail "a category outside the vocabulary was registered"
grep -q "unknown-term" "$T/e" || fail "unknown category: $(cat "$T/e")"
echo x > "$T/m.txt"
[ "$(rc_of "$VANGNET" send --agent "$GGZ" --to vt-zuid-limburg --subject $BSN $MELD --category roddel --file "$T/m.txt")" -eq 5 ] \
    && grep -q unknown-term "$T/e" || fail "notification category outside the vocabulary: $(cat "$T/e")"

# The agent keeps it, verified, across a restart (the broker sends it only to older revisions).
vn_agent_kill ggz-mondriaan
vn_agent_start ggz-mondriaan
grep -q "event=vocabulary-loaded name=vangnet-begrippen revision=1" "$T/ggz-mondriaan.log" || fail "vocabulary not kept"
[ "$(grep -c "event=vocabulary-updated" "$T/ggz-mondriaan.log")" -eq 1 ] || fail "vocabulary sent again to an agent that has it"
"$VANGNET" vocab --agent "$GGZ" > "$T/vocab2" && cmp -s "$T/vocab" "$T/vocab2" || fail "vocabulary changed across a restart"

# 2. A sector not allowed to signal.
[ "$(rc_of "$VANGNET" signal add --agent "$(api school-de-linde)" --youth 234567892 --category schoolverzuim \
      --age 7 --informed ouders --contact-name X --contact-phone 1)" -eq 3 ] \
    && grep -q signal-sector-not-allowed "$T/e" || fail "a school signalled: $(cat "$T/e")"
wait_for "audit_grep -q 'SIGNAL_REFUSED actor=school-de-linde .*outcome=signal-sector-not-allowed'"

# 3. Who must have been told, by age: < 12 the parents; 12-15 parents and youth; 16+ the youth.
add() { rc_of "$VANGNET" signal add --agent "$GGZ" --youth 345678904 --category zorg-ouder \
            --contact-name X --contact-phone 1 "$@"; }
[ "$(add --age 7 --informed jongere)" -eq 3 ] && grep -q informed-parties-wrong "$T/e" || fail "age 7 without ouders: $(cat "$T/e")"
[ "$(add --age 13 --informed ouders)" -eq 3 ] && grep -q informed-parties-wrong "$T/e" || fail "age 13 without jongere"
[ "$(add --age 17 --informed ouders)" -eq 3 ] && grep -q informed-parties-wrong "$T/e" || fail "age 17 without jongere"
[ "$(add --age 24 --informed jongere)" -eq 3 ] && grep -q youth-too-old "$T/e" || fail "age 24: $(cat "$T/e")"
[ "$(add --age 7 --informed niet)" -eq 5 ] && grep -q "reason" "$T/e" || fail "niet without a reason (agent)"
[ "$(add --age 7 --informed ouders,niet)" -eq 5 ] || fail "niet with ouders (agent)"
[ "$(add --age 13 --informed ouders,jongere)" -eq 0 ] || fail "age 13 told both: $(cat "$T/e")"
[ "$(add --age 17 --informed jongere)" -eq 0 ] || fail "age 17 told: $(cat "$T/e")"
[ "$(add --age 5 --informed niet --not-informed-reason 'gevaar voor het kind')" -eq 0 ] || fail "niet with reason"
# The agent's own checks: a bad BSN, no contact.
[ "$(rc_of "$VANGNET" signal add --agent "$GGZ" --youth 123456789 --category zorg-ouder --age 7 --informed ouders --contact-name X --contact-phone 1)" -eq 5 ] \
    && grep -q invalid-bsn "$T/e" || fail "bad BSN"
[ "$(rc_of "$VANGNET" signal add --agent "$GGZ" --youth 345678904 --category zorg-ouder --age 7 --informed ouders --contact-name X)" -eq 5 ] \
    && grep -q invalid-contact "$T/e" || fail "contact without phone or e-mail"

# 4. match:ID. The GGZ, the neighbourhood team and Veilig Thuis share a match on one child.
KIND=678901235
sig_add ggz-mondriaan $KIND zorg-ouder 6 --informed ouders >/dev/null
sig_add wijkteam-heerlen $KIND huiselijk-geweld 6 --informed ouders >/dev/null
sig_add vt-zuid-limburg $KIND kindermishandeling 6 --informed ouders >/dev/null
wait_inbox ggz-mondriaan "any(len({p['org'] for p in n['matchNotice']['match']['participants']}) == 3 for n in notices)"
mid=$(python3 -c "import json; print([i for i in json.load(open('$T/ggz-mondriaan.json'))['items'] if i['kind'] == 'match-notice'][-1]['matchNotice']['match']['id'])")
for org in ggz-mondriaan wijkteam-heerlen vt-zuid-limburg; do ack_all $org; done
# Under the parents' consent, which covers the neighbourhood team only: it alone receives it.
ref=$(vn_consent ggz-mondriaan wijkteam-heerlen afstemming $KIND)
[ -n "$ref" ] || fail "consent"
echo "Synthetisch: afstemming over het gezin." > "$T/a.txt"
[ "$(rc_of "$VANGNET" send --agent "$GGZ" --to "match:$mid" --subject $KIND --category afstemming \
      --basis consent --consent-ref "$ref" --subject-name "Lisa Synthetisch" --file "$T/a.txt")" -eq 3 ] || fail "match:ID: $(cat "$T/o" "$T/e")"
grep -q "^accepted to=wijkteam-heerlen " "$T/o" || fail "consented recipient: $(cat "$T/o")"
grep -q "^refused to=vt-zuid-limburg .*code=consent-" "$T/o" || fail "recipient outside the consent: $(cat "$T/o")"
! grep -q "to=ggz-mondriaan" "$T/o" || fail "sent to itself"
wait_inbox wijkteam-heerlen "any(i.get('subjectBsn') == '$KIND' and i.get('subjectName') == 'Lisa Synthetisch'
    and i.get('matchId') == '$mid' and i.get('category') == 'afstemming' for i in items)"
sleep 1
inbox_json vt-zuid-limburg
json_check vt-zuid-limburg "not items" || fail "delivered to a recipient the policy refused"
m1=$(sed -n 's/^accepted to=wijkteam-heerlen message=\([0-9a-f]*\) .*/\1/p' "$T/o")
audit_grep -q "ACCEPTED .*actor=ggz-mondriaan .*to=wijkteam-heerlen .*msg=$m1.*match=$mid" || fail "match not in the audit record"
audit_grep -q "REFUSED .*actor=ggz-mondriaan .*to=vt-zuid-limburg .*match=$mid" || fail "refusal not audited"
# Under a client_ref, twice (an IT system retrying): the agent bound the key once to the fan-out's
# participants and message ids, so the repeat is answered with each one's first outcome, marked
# repeated; nothing is sealed or accepted twice.
fanout_ref() { rc_of "$VANGNET" send --agent "$GGZ" --to "match:$mid" --subject $KIND --category afstemming \
      --basis consent --consent-ref "$ref" --client-ref AFSTEMMING-2026-1 --file "$T/a.txt" "$@"; }
[ "$(fanout_ref)" -eq 3 ] || fail "match:ID under a client_ref: $(cat "$T/o" "$T/e")"
cp "$T/o" "$T/fan1"
! grep -q "repeated=yes" "$T/fan1" || fail "the first fan-out called repeated: $(cat "$T/fan1")"
[ "$(fanout_ref)" -eq 3 ] || fail "match:ID repeated: $(cat "$T/o" "$T/e")"
m2=$(sed -n 's/^accepted to=wijkteam-heerlen message=\([0-9a-f]*\) .*/\1/p' "$T/fan1")
[ -n "$m2" ] && grep -q "^accepted to=wijkteam-heerlen message=$m2 .*repeated=yes" "$T/o" \
    || fail "the repeat made a new message: $(cat "$T/fan1" "$T/o")"
grep -q "^refused to=vt-zuid-limburg .*code=consent-.*repeated=yes" "$T/o" || fail "repeat's refusal: $(cat "$T/o")"
[ "$(audit_grep -c "ACCEPTED .*msg=$m2")" -eq 1 ] || fail "the repeat was accepted again"
# The same key for a different request is a conflict, not a repeat.
[ "$(fanout_ref --subject-name "Iemand Anders")" -eq 5 ] && grep -q client-ref-conflict "$T/e" \
    || fail "a different request under the fan-out's client_ref: $(cat "$T/o" "$T/e")"
# The IT system can also ask by the key: every participant's outcome.
[ "$(rc_of "$VANGNET" outcome --agent "$GGZ" --client-ref AFSTEMMING-2026-1)" -eq 3 ] \
    && grep -q "^accepted to=wijkteam-heerlen message=$m2 " "$T/o" \
    && grep -q "^refused to=vt-zuid-limburg .*code=consent-" "$T/o" \
    || fail "outcome by the fan-out's client_ref: $(cat "$T/o" "$T/e")"
# A Meldcode report to match:ID: only Veilig Thuis may receive one.
[ "$(rc_of "$VANGNET" send --agent "$GGZ" --to "match:$mid" --subject $KIND $MELD --file "$T/a.txt")" -eq 3 ] || fail "meldrecht to the match"
grep -q "^accepted to=vt-zuid-limburg " "$T/o" && grep -q "^refused to=wijkteam-heerlen .*code=" "$T/o" || fail "meldrecht per recipient: $(cat "$T/o")"
wait_inbox vt-zuid-limburg "any(i.get('category') == 'melding' and i.get('subjectBsn') == '$KIND' for i in items)"
# Not a participant: no expansion.
[ "$(rc_of "$VANGNET" send --agent "$(api jeugdhulp-xonar)" --to "match:$mid" --subject $KIND $MELD --file "$T/a.txt")" -eq 5 ] \
    && grep -q unknown-match "$T/e" || fail "a non-participant expanded the match: $(cat "$T/e")"
for secret in $KIND "Lisa Synthetisch"; do
    ! grep -rqaF "$secret" "$T/broker-data" "$T/broker.log" || fail "'$secret' reached the broker"
done
echo ok
