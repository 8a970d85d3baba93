#!/usr/bin/env bash
# 42: an envelope the recipient's agent cannot open (its content key wrapped to a key the recipient
# does not hold) is not "delivered ok": the recipient's IT system sees a notice, the broker audits
# DELIVERY_FAILED with the code, and the sender is told.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
# The sending organisation's own agent is off while a broken client speaks with its keys.
vn_agent_kill ggz-mondriaan
out=$("$VN_RAWPEER" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" \
      --keys "$T/keys/ggz-mondriaan.secret" --to "$T/keys/vt-zuid-limburg.public" --mode wrongkey)
[[ $out == receipt* ]] || fail "the broker should accept it (it cannot see inside): $out"
id=$(audit_grep ACCEPTED | sed -n 's/.*msg=\([0-9a-f]*\).*/\1/p' | tail -n 1)
wait_for "audit_grep -q 'DELIVERY_FAILED .*msg=$id .*outcome=undecryptable'" 20
audit_grep -q "DELIVERED .*msg=$id" && fail "audited as delivered"
grep -q "event=delivery-rejected msg=$id" "$T/vt-zuid-limburg.log" || fail "recipient did not log it"
# The recipient's IT system sees a notice, not content.
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --json > "$T/vt.json"
inbox_each "$T/vt.json" 'i["kind"] == "notice" and "%s %s" % (i["notice"]["code"], i["notice"]["aboutMessageId"])' \
    | grep -qx "undecryptable $id" || fail "no notice for the recipient: $(cat "$T/vt.json")"
# The sender hears of it once its agent is back.
vn_agent_start ggz-mondriaan
wait_for "'$VANGNET' inbox --agent '$(api ggz-mondriaan)' --json | grep -q '\"aboutMessageId\":\"$id\"'" 20
"$VANGNET" inbox --agent "$(api ggz-mondriaan)" --json > "$T/g.json"
inbox_each "$T/g.json" 'i["kind"] == "notice" and "%s %s %s" % (i["notice"]["code"], i["notice"]["recipient"], i["notice"]["aboutMessageId"])' \
    | grep -qx "undecryptable vt-zuid-limburg $id" || fail "sender notice: $(cat "$T/g.json")"
# The recipient's queue is empty: the failed delivery ended, and is not redelivered.
B_URL=$(cat "$T/broker-data/metrics-address")
curl -sf "$B_URL/metrics" > "$T/m.prom"
grep -q '^vangnet_broker_queue_depth{recipient="vt-zuid-limburg"}' "$T/m.prom" && fail "still queued"
"$VANGNET" audit verify --data "$T/broker-data" > /dev/null || fail "audit chain"
echo "42-undecryptable: ok"
