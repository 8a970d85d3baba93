#!/usr/bin/env bash
# 44: the second-agent rule. A second agent with the same organisation's keys takes over the
# session (a restarted agent is never locked out by its own dead connection); the first is told,
# stops, and says so (connected=no reason=session-replaced, exit 1) instead of claiming to be
# connected; the takeover is audited; deliveries go to the agent that holds the session.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
V=vt-zuid-limburg
# The second agent: the same keys, its own store and socket.
sed -e "s|$T/$V-data|$T/second-data|" -e "s|$T/$V.sock|$T/second.sock|" "$T/$V.conf" > "$T/second.conf"
"$AGENT_BIN" --config "$T/second.conf" >>"$T/second.log" 2>&1 &
VN_PIDS+=($!)
SECOND=$!
wait_for "'$VANGNET' status --agent 'ipc://$T/second.sock' | grep -q connected=yes" 20
wait_for "grep -q 'event=session-replaced' '$T/$V.log'" 20
set +e
"$VANGNET" status --agent "$(api $V)" > "$T/st"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "connected=no .*reason=session-replaced" "$T/st" \
    || fail "first agent's status: rc=$rc $(cat "$T/st")"
audit_grep -q "SESSION_REPLACED actor=$V" || fail "takeover not audited"
# A notification now reaches the second agent, not the first.
echo "synthetic: zorgen" > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to $V --subject $BSN $MELD --file "$T/m.txt" \
    | grep -q '^accepted' || fail "send"
wait_for "'$VANGNET' status --agent 'ipc://$T/second.sock' | grep -q 'inbox=1 '" 20
{ "$VANGNET" status --agent "$(api $V)" || true; } | grep -q "inbox=0 " || fail "first agent got it"
# It stays stopped (no fight over the session) until restarted.
sleep 3
{ "$VANGNET" status --agent "$(api $V)" || true; } | grep -q "connected=no" || fail "first reconnected"
kill -TERM $SECOND; wait $SECOND 2>/dev/null || true
vn_agent_kill $V
vn_agent_start $V                    # restarted, it takes its session back at once
echo "44-second-agent: ok"
