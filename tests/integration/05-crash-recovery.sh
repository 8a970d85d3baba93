#!/usr/bin/env bash
# 05: kill -9 of the broker between receipt and delivery, and of the recipient agent between its
# receive and the IT system's ack, with hundreds of messages in flight: after restart every
# receipted message is delivered exactly once and the audit chain is intact.
. "$(dirname "$0")/lib.sh"
N=${VN_CRASH_MESSAGES:-300}
vn_setup
vn_broker_start
sed -i "s|^endpoint = .*|endpoint = $BROKER_EP|" "$T/broker.conf"
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_agent_start ggz-mondriaan
vn_agent_start vt-zuid-limburg
vn_agent_kill vt-zuid-limburg        # deliveries pile up at the broker

for i in $(seq "$N"); do
    echo "Synthetisch bericht $i" | "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg \
        --subject $BSN $MELD --wait 0 --file - >/dev/null || true
done
wait_for "'$VANGNET' status --agent '$(api ggz-mondriaan)' | grep -q outbox=0" 60
accepted=$(audit_grep -c ACCEPTED)
[ "$accepted" -eq "$N" ] || fail "$accepted of $N accepted"

# Crash 1: the broker, with every message receipted and none delivered.
vn_broker_kill KILL
"$BROKER_BIN" --config "$T/broker.conf" >>"$T/broker.log" 2>&1 & BROKER_PID=$!; VN_PIDS+=("$BROKER_PID")
vn_agent_start vt-zuid-limburg
# Crash 2: the recipient agent, while deliveries stream in and before the IT system acks.
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -qv 'inbox=0 '" 30
vn_agent_kill vt-zuid-limburg KILL
vn_agent_start vt-zuid-limburg
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q 'inbox=$N '" 60

# Exactly once: N distinct messages in the inbox, N DELIVERED records, nothing left queued.
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --max 1000 --json > "$T/inbox.json"
ids=$(inbox_each "$T/inbox.json" 'i["messageId"]' | wc -l)
uniq_ids=$(inbox_each "$T/inbox.json" 'i["messageId"]' | sort -u | wc -l)
bodies=$(inbox_each "$T/inbox.json" 'text(i)' | grep -o 'Synthetisch bericht [0-9]*' | sort -u | wc -l)
[ "$ids" -eq "$N" ] && [ "$uniq_ids" -eq "$N" ] && [ "$bodies" -eq "$N" ] \
    || fail "inbox holds $ids messages, $uniq_ids distinct, $bodies bodies; expected $N"
wait_for "[ \$(audit_grep -c DELIVERED) -eq $N ]" 30
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "05-crash-recovery: ok ($N messages)"
