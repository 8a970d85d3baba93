#!/usr/bin/env bash
# 02: only registered CURVE keys get in: an unregistered agent, and a peer without CURVE, never
# get a message in or out, and nothing of theirs reaches the audit log.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org vt-zuid-limburg veilig-thuis
vn_agent_start vt-zuid-limburg
"$VANGNET" keygen --org stranger-org --sector gemeente --out "$T/keys" >/dev/null
# Reading the log appends an AUDIT_READ record itself; count everything else.
records_before=$(audit_grep -vc AUDIT_READ)

# A peer with a valid CURVE handshake but an unregistered key.
set +e
out=$("$VN_RAWPEER" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" \
      --keys "$T/keys/stranger-org.secret" --to "$T/keys/vt-zuid-limburg.public")
rc=$?
[ $rc -ne 0 ] && [ "$out" = "no-reply" ] || fail "unregistered key got an answer: $out"
# A peer without CURVE at all.
out=$("$VN_RAWPEER" --broker "$BROKER_EP" --no-curve --sign-keys "$T/keys/stranger-org.secret" \
      --to "$T/keys/vt-zuid-limburg.public")
rc=$?
set -e
[ $rc -ne 0 ] && [ "$out" = "no-reply" ] || fail "plain peer got an answer: $out"
grep -q "event=auth-refused.*reason=unregistered" "$T/broker.log" || fail "no auth refusal logged"

# A real agent with an unregistered key stays disconnected and cannot send.
cat > "$T/stranger.conf" <<CONF
[agent]
keys = $T/keys/stranger-org.secret
data = $T/stranger-data
api = ipc://$T/stranger.sock
pseudonym_key = $T/keys/pseudonym.key
[broker]
endpoint = $BROKER_EP
public = $T/keys/broker.public
CONF
"$AGENT_BIN" --config "$T/stranger.conf" >>"$T/stranger.log" 2>&1 &
VN_PIDS+=($!)
wait_for "grep -q handshake-failed '$T/stranger.log'"
# status exits 1 while disconnected (and says why)
{ "$VANGNET" status --agent "ipc://$T/stranger.sock" || echo "exit=$?"; } > "$T/st.txt"
grep -q "connected=no.*reason=handshake-failed" "$T/st.txt" && grep -q "exit=1" "$T/st.txt" \
    || fail "stranger: $(cat "$T/st.txt")"

# Nothing reached the recipient or the audit log.
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 1 | grep -q "inbox empty" || fail "mail leaked in"
[ "$(audit_grep -vc AUDIT_READ)" -eq "$records_before" ] || fail "audit grew"
echo "02-authentication: ok"
