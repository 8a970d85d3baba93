#!/usr/bin/env bash
# 40: the crash window of outcomes. The sender's agent is killed after the broker committed its
# verdict and before the agent committed it (the verdict still unread in its socket); before the
# agent comes back the verdict would change (a refusal's cause goes away; an acceptance's message
# expires). On restart the agent resends and must report the ORIGINAL outcome, and the audit log
# holds exactly one outcome for the id.
. "$(dirname "$0")/lib.sh"
VN_BROKER_EXTRA="max_queue_per_recipient = 1" vn_setup_pair
G=ggz-mondriaan
echo "synthetic: zorgen over thuissituatie" > "$T/m.txt"
gpid() { vn_agent_pid $G; }

# crash_window [send options]: submit while the broker is paused, pause the sender's agent,
# let the broker decide and commit, then kill the agent before it reads the answer. Sets ID.
crash_window() {
    kill -STOP "$BROKER_PID"
    "$VANGNET" send --agent "$(api $G)" --to vt-zuid-limburg --subject $BSN $MELD --wait 0 \
        --file "$T/m.txt" "$@" > "$T/q.out" || [ $? -eq 4 ] || fail "submit: $(cat "$T/q.out")"
    ID=$(sed -n 's/^queued message=\([0-9a-f]*\).*/\1/p' "$T/q.out")
    [ -n "$ID" ] || fail "no message id: $(cat "$T/q.out")"
    sleep 0.3                      # the envelope leaves the agent after its commit
    kill -STOP "$(gpid)"
    kill -CONT "$BROKER_PID"
    wait_for "audit_grep -qE '(ACCEPTED|REFUSED) .*msg=$ID'" 20
    vn_agent_kill $G KILL          # with the broker's answer still unread
}
# verdicts ID: the submission outcomes (ACCEPTED/REFUSED records) the audit log holds for ID
verdicts() { audit_grep -E "(ACCEPTED|REFUSED) .*msg=$1" | awk '{print $3}' | tr '\n' ' '; }

# 1. Refused, then the cause goes away. Veilig Thuis is offline; its queue (limit 1) is full.
vn_agent_kill vt-zuid-limburg
"$VANGNET" send --agent "$(api $G)" --to vt-zuid-limburg --subject $BSN $MELD --file "$T/m.txt" \
    | grep -q '^accepted' || fail "first message not accepted"
crash_window; refused=$ID
[ "$(verdicts "$refused")" = "REFUSED " ] || fail "refusal not committed: $(verdicts "$refused")"
audit_grep -q "REFUSED .*msg=$refused .*outcome=recipient-queue-full" || fail "not refused queue-full"
# The queue drains: checked again now, the message would be accepted.
vn_agent_start vt-zuid-limburg
B_URL=$(cat "$T/broker-data/metrics-address")
wait_for "curl -sf '$B_URL/metrics' > '$T/w.prom' && grep -q '^vangnet_broker_deliveries_total 1$' '$T/w.prom'" 30
vn_agent_start $G                  # resends on connect
set +e
"$VANGNET" outcome --agent "$(api $G)" --id "$refused" --wait 30 > "$T/o1.out"; rc=$?
set -e
[ $rc -eq 3 ] && grep -q "^refused message=$refused code=recipient-queue-full" "$T/o1.out" \
    || fail "resent refusal reported as: rc=$rc $(cat "$T/o1.out")"
grep -q "event=resent" "$T/$G.log" || fail "the agent did not resend"
[ "$(verdicts "$refused")" = "REFUSED " ] || fail "second verdict for $refused: $(verdicts "$refused")"
audit_grep -q "DELIVERED .*msg=$refused" && fail "refused message was delivered"
# The IT system that waited for it is gone: the refusal reaches it through the inbox too.
"$VANGNET" inbox --agent "$(api $G)" --json > "$T/g-inbox.json"
inbox_each "$T/g-inbox.json" 'i.get("notice", {}).get("aboutMessageId")' | grep -qx "$refused" || fail "no refusal notice in the inbox"

# 2. Accepted (and delivered), then the message expires before the sender's agent returns.
crash_window --expires-in 10; accepted=$ID
[ "$(verdicts "$accepted")" = "ACCEPTED " ] || fail "acceptance not committed: $(verdicts "$accepted")"
wait_for "audit_grep -q 'DELIVERED .*msg=$accepted'" 20
expires=$(( $(date +%s) + 11 ))
while [ "$(date +%s)" -lt "$expires" ]; do sleep 0.5; done   # past the envelope's expiry
vn_agent_start $G
set +e
"$VANGNET" outcome --agent "$(api $G)" --id "$accepted" --wait 30 > "$T/o2.out"; rc=$?
set -e
[ $rc -eq 0 ] && grep -q "^accepted message=$accepted" "$T/o2.out" \
    || fail "resent acceptance reported as: rc=$rc $(cat "$T/o2.out")"
[ "$(verdicts "$accepted")" = "ACCEPTED " ] || fail "second verdict for $accepted: $(verdicts "$accepted")"
[ "$(audit_grep -c "DELIVERED .*msg=$accepted")" -eq 1 ] || fail "delivered more than once"
# Exactly one submission outcome per message id in the whole log.
audit_grep -oE "(ACCEPTED|REFUSED) .*msg=[0-9a-f]{32}" | grep -oE "msg=[0-9a-f]{32}" | sort | uniq -d > "$T/dups"
[ ! -s "$T/dups" ] || fail "message ids with two outcomes: $(cat "$T/dups")"
"$VANGNET" audit verify --data "$T/broker-data" > /dev/null || fail "audit chain"
echo "40-outcome-crash-window: ok"
