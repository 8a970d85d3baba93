#!/usr/bin/env bash
# 18: an organisation's key rotation. The operator registers the new keys; the old ones stay valid
# for the grace period (connections and signatures), then are refused. Nothing sealed to the old
# keys is lost: the agent, restarted with the new keys, opens it with previous_keys.
. "$(dirname "$0")/lib.sh"
# The raw peer below seals a readable subject, which it can pseudonymise only with the legacy
# network key (it is no client of the pseudonym service): both agents use that key here.
VN_PSEUDONYMS=v1
vn_setup_pair
GRACE=15
G=ggz-mondriaan
raw() { "$VN_RAWPEER" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" \
          --to "$T/keys/vt-zuid-limburg.public" --pseudonym-key "$T/keys/pseudonym.key" "$@" || true; }
echo "synthetic: zorgen" > "$T/m.txt"
send_to() {  # send_to FROM TO
    "$VANGNET" send --agent "$(api "$1")" --to "$2" --subject $BSN $MELD --file "$T/m.txt"
}
mkdir -p "$T/new" "$T/old"
"$VANGNET" keygen --org $G --sector ggz --out "$T/new" >/dev/null
"$VANGNET" org rotate --data "$T/broker-data" --grace ${GRACE}s "$T/new/$G.public" | grep -q "^rotated $G" \
    || fail "rotate"
rotated_at=$(date +%s)
"$VANGNET" org list --data "$T/broker-data" | grep -q "^$G .*previous key until" || fail "org list"
audit_grep -q "ORG_KEY_ROTATED .*to=$G" || fail "rotation not audited"
if "$VANGNET" org rotate --data "$T/broker-data" "$T/new/$G.public" 2>/dev/null; then
    fail "rotating to the current keys again"
fi
sleep 1.5  # the broker rereads the registry within a second

# Grace period: the agent still on the old keys is admitted and its signatures accepted.
report=$(send_to $G vt-zuid-limburg) || fail "old key refused during the grace period: $report"
report=$(echo "$report" | sed -n 's/^accepted message=\([0-9a-f]*\).*/\1/p')
out=$(raw --keys "$T/new/$G.secret" --sign-keys "$T/keys/$G.secret")
[[ $out == receipt* ]] || fail "old signature over a new connection, in grace: $out"
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q 'inbox=2 '" 20
# Veilig Thuis answers; that is sealed to the new keys, which the old agent cannot open: it holds it.
"$VANGNET" send --agent "$(api vt-zuid-limburg)" --to $G --subject $BSN --basis terugkoppeling \
    --category terugkoppeling --in-reply-to "$report" --file "$T/m.txt" | grep -q '^accepted' \
    || fail "terugkoppeling not accepted"
wait_for "grep -q 'reason=own-keys-rotated' '$T/$G.log'" 20

# The agent restarts with the new keys and keeps the old ones for what was sealed to them.
vn_agent_kill $G
mv "$T/keys/$G.secret" "$T/keys/$G.public" "$T/old/"
mv "$T/new/$G.secret" "$T/new/$G.public" "$T/keys/"
if [ -d "$T/pd-clients" ]; then # with a pseudonym service, the new key is registered there too
    cp "$T/keys/$G.public" "$T/pd-clients/$G.rotated.public"
fi
VN_AGENT_EXTRA="previous_keys = $T/old/$G.secret" vn_agent_start $G
wait_for "'$VANGNET' status --agent '$(api $G)' | grep -q 'inbox=1 '" 20
send_to $G vt-zuid-limburg | grep -q '^accepted' || fail "new key refused"

# After the grace period: the old signature is refused, the old transport key not admitted.
while [ $(($(date +%s) - rotated_at)) -le $((GRACE + 1)) ]; do sleep 0.5; done
out=$(raw --keys "$T/keys/$G.secret" --sign-keys "$T/old/$G.secret")
[[ $out == *key-expired* ]] || fail "old signature after the grace period: $out"
out=$(raw --keys "$T/old/$G.secret")
[ "$out" = "no-reply" ] || fail "old transport key admitted after the grace period: $out"
grep -q "reason=rotated-key-expired" "$T/broker.log" || fail "auth refusal reason"
audit_grep -q "REFUSED .*key-expired" || fail "key-expired refusal not audited"
send_to $G vt-zuid-limburg | grep -q '^accepted' || fail "new key after the grace period"
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q 'inbox=4 '" 20
echo "18-key-rotation: ok"
