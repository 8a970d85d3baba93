#!/usr/bin/env bash
# 10: consent records: registered and listed through the agent; a consent withdrawn, or one that
# expires, between sending and delivery stops the delivery (WITHHELD in the audit log, the sender
# told in its inbox); only the registering organisation can withdraw; bad consents are refused.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org school-de-linde onderwijs
vn_org wijkteam-heerlen wijkteam
vn_org ggz-mondriaan ggz
for org in school-de-linde wijkteam-heerlen ggz-mondriaan; do vn_agent_start $org; done
echo "Synthetisch: zorgen over een leerling." > "$T/m.txt"
send_consent() { # send_consent REF -> message id
    "$VANGNET" send --agent "$(api school-de-linde)" --to wijkteam-heerlen --subject $BSN \
        --category zorgsignaal --basis consent --consent-ref "$1" --file "$T/m.txt" |
        sed -n 's/^accepted message=\([0-9a-f]*\) .*/\1/p'
}

# Registered, listed, audited.
ref=$(vn_consent school-de-linde wijkteam-heerlen zorgsignaal)
[ -n "$ref" ] || fail "consent not registered"
"$VANGNET" consent list --agent "$(api school-de-linde)" --subject $BSN | grep -q "consent $ref" || fail "not listed"
"$VANGNET" consent list --agent "$(api wijkteam-heerlen)" | grep -q "no consents" || fail "listed to another org"
audit_grep -q "CONSENT_ADDED .*actor=school-de-linde .*consent-ref=$ref" || fail "registration not audited"

# 1. Withdrawn between send and delivery: the recipient is offline, the parents withdraw.
vn_agent_kill wijkteam-heerlen
msg=$(send_consent "$ref")
[ -n "$msg" ] || fail "not accepted under a valid consent"
# Another organisation cannot withdraw it.
set +e
"$VANGNET" consent withdraw --agent "$(api ggz-mondriaan)" "$ref" 2>"$T/e"; rc=$?
set -e
[ $rc -eq 5 ] && grep -q consent-not-owned "$T/e" || fail "withdrawn by another organisation: $rc"
"$VANGNET" consent withdraw --agent "$(api school-de-linde)" "$ref" | grep -q WITHDRAWN || fail "withdraw"
# Withheld in the withdrawal's own commit (from the consent's envelope index), not only when the
# recipient reconnects and the delivery is checked again.
audit_grep -q "WITHHELD .*to=wijkteam-heerlen.*msg=$msg.*outcome=consent-withdrawn" ||
    fail "not withheld at withdrawal"
vn_agent_start wijkteam-heerlen
"$VANGNET" inbox --agent "$(api wijkteam-heerlen)" --wait 3 | grep -q "inbox empty" || fail "delivered after withdrawal"
notice=$("$VANGNET" inbox --agent "$(api school-de-linde)" --wait 10)
[[ $notice == *"about message $msg: consent-withdrawn for wijkteam-heerlen"* ]] || fail "sender not told: $notice"
audit_grep -q "CONSENT_WITHDRAWN .*consent-ref=$ref" || fail "withdrawal not audited"
audit_grep -q "WITHHELD .*to=wijkteam-heerlen.*msg=$msg.*outcome=consent-withdrawn" || fail "not withheld"
! audit_grep -q "DELIVERED .*msg=$msg" || fail "a DELIVERED record for a withheld message"
# And nothing new goes out under it.
set +e
out=$("$VANGNET" send --agent "$(api school-de-linde)" --to wijkteam-heerlen --subject $BSN \
      --category zorgsignaal --basis consent --consent-ref "$ref" --file "$T/m.txt"); rc=$?
set -e
[ $rc -eq 3 ] && [[ $out == *code=consent-withdrawn* ]] || fail "sent under a withdrawn consent: $out"

# 2. Expired between send and delivery (checked again at delivery time).
short=$("$VANGNET" consent add --agent "$(api school-de-linde)" --subject $BSN --given-by client \
        --to wijkteam-heerlen --categories zorgsignaal --purpose test --seconds 3 |
        sed -n 's/^consent \(c[0-9a-f]*\) .*/\1/p')
vn_agent_kill wijkteam-heerlen
msg2=$(send_consent "$short")
[ -n "$msg2" ] || fail "not accepted under a short consent"
sleep 4
vn_agent_start wijkteam-heerlen
"$VANGNET" inbox --agent "$(api wijkteam-heerlen)" --wait 3 | grep -q "inbox empty" || fail "delivered after expiry"
wait_for "audit_grep -q 'WITHHELD .*msg=$msg2.*outcome=consent-expired'"

# 3. A valid consent still delivers (the check is not simply refusing everything).
ok=$(vn_consent school-de-linde sector:wijkteam zorgsignaal)
msg3=$(send_consent "$ok")
"$VANGNET" inbox --agent "$(api wijkteam-heerlen)" --wait 10 | grep -q "message $msg3" || fail "valid consent not delivered"

# 4. Invalid registrations are refused with a clear code.
set +e
"$VANGNET" consent add --agent "$(api school-de-linde)" --subject $BSN --given-by buurman \
    --to wijkteam-heerlen --categories zorgsignaal --purpose x --days 1 2>"$T/e1"; r1=$?
"$VANGNET" consent add --agent "$(api school-de-linde)" --subject 123456789 --given-by client \
    --to wijkteam-heerlen --categories zorgsignaal --purpose x --days 1 2>"$T/e2"; r2=$?
"$VANGNET" consent add --agent "$(api school-de-linde)" --subject $BSN --given-by client \
    --to "Not An Org" --categories zorgsignaal --purpose x --days 1 2>"$T/e3"; r3=$?
set -e
[ $r1 -eq 5 ] && grep -q consent-invalid "$T/e1" || fail "bad given-by: $r1 $(cat "$T/e1")"
[ $r2 -eq 5 ] && grep -q invalid-bsn "$T/e2" || fail "bad BSN: $r2"
[ $r3 -eq 5 ] && grep -q consent-invalid "$T/e3" || fail "bad recipient: $r3"
! grep -rqa "$BSN" "$T/broker-data" "$T/broker.log" || fail "BSN reached the broker"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "10-consent: ok"
