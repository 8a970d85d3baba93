#!/usr/bin/env bash
# 72: the pseudonym service down (killed -9): a submit that needs a new pseudonym fails at once
# with a clear code and nothing is stored or sent; a subject already cached still goes; a
# delivery the recipient cannot check yet is held, not lost, and arrives once the service is back.
VN_PSEUDONYMS=own # this test starts the pseudonym service itself
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_pseudonymd_start
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1000" vn_agent_start ggz-mondriaan
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1000" vn_agent_start vt-zuid-limburg
echo "synthetisch" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject "$1" $MELD --wait 10 --file "$T/m.txt"; }
OTHER=123456782 THIRD=456789017
send $BSN > /dev/null || fail "first send"
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 10 > "$T/in1.txt"
grep -q "$BSN" "$T/in1.txt" || fail "not delivered: $(cat "$T/in1.txt")"

# 1. Killed -9: a new subject is refused with a clear error, in about the configured timeout.
vn_pseudonymd_kill KILL
start=$(date +%s%N)
! send $OTHER > "$T/s.out" 2> "$T/s.err" || fail "sent without a pseudonym"
took=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q "pseudonym-unavailable" "$T/s.err" && grep -q "did not answer within 1000 ms" "$T/s.err" \
    && grep -q "nothing was stored or sent" "$T/s.err" || fail "unclear error: $(cat "$T/s.err" "$T/s.out")"
[ "$took" -lt 4000 ] || fail "took $took ms"
"$VANGNET" status --agent "$(api ggz-mondriaan)" | grep -q "outbox=0" || fail "something was queued"
# 2. A cached subject needs no service: sent, and the recipient (which cached it too) takes it.
send $BSN > /dev/null || fail "a cached subject was refused while the service is down"
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -c '$BSN' | grep -qx 2"

# 3. Back (same address, same keys, same state): the refused submit, tried again, goes through.
PSEUDONYMD_LISTEN=$PSEUDONYMD_EP vn_pseudonymd_start
ok=
for _ in 1 2 3 4 5; do send $OTHER > /dev/null 2> "$T/s2.err" && { ok=1; break; }; sleep 0.5; done
[ -n "$ok" ] || fail "not sent after the service came back: $(cat "$T/s2.err")"
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -q '$OTHER'"

# 4. The recipient cannot check a new subject while the service is down: the delivery is held
#    unacknowledged (not stored unchecked, not rejected) and arrives once the service is back.
vn_agent_kill vt-zuid-limburg
send $THIRD > /dev/null || fail "third send"  # ggz evaluates THIRD while the service is up ...
vn_pseudonymd_kill KILL                       # ... vt comes back to it while it is down
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1000" vn_agent_start vt-zuid-limburg
wait_for "grep -q 'event=delivery-held .*reason=pseudonym-unavailable' '$T/vt-zuid-limburg.log'" 15
! "$VANGNET" inbox --agent "$(api vt-zuid-limburg)" | grep -q "$THIRD" || fail "stored unchecked"
audit_grep -q "REJECTED" && fail "rejected instead of held"
PSEUDONYMD_LISTEN=$PSEUDONYMD_EP vn_pseudonymd_start
vn_agent_kill vt-zuid-limburg   # unacknowledged deliveries come again in the next session
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1000" vn_agent_start vt-zuid-limburg
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -q '$THIRD'" 15
echo ok
