#!/usr/bin/env bash
# 01: a notification goes from one agency to two others, is read, acked, and audited; the receipt's
# audit hash matches the stored record, and an ack for an unknown id is refused.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org wijkteam-heerlen wijkteam
vn_org vt-zuid-limburg veilig-thuis
vn_org ggz-mondriaan ggz
for org in wijkteam-heerlen vt-zuid-limburg ggz-mondriaan; do vn_agent_start $org; done

echo "Synthetisch: kind B komt vaak zonder ontbijt op school." > "$T/msg.txt"
# The neighbourhood team registers the parents' consent, then discloses under it.
ref=$(vn_consent wijkteam-heerlen vt-zuid-limburg,sector:ggz zorgsignaal)
[[ $ref =~ ^c[0-9a-f]{16}$ ]] || fail "consent not registered: '$ref'"
out=$("$VANGNET" send --agent "$(api wijkteam-heerlen)" --to vt-zuid-limburg,ggz-mondriaan \
      --subject $BSN --category zorgsignaal --basis consent --consent-ref "$ref" \
      --user prof-12 --role wijkcoach --file "$T/msg.txt")
echo "$out"
[[ $out =~ ^accepted\ message=([0-9a-f]{32})\ audit-seq=([0-9]+) ]] || fail "no receipt: $out"
msgid=${BASH_REMATCH[1]}

for org in vt-zuid-limburg ggz-mondriaan; do
    "$VANGNET" inbox --agent "$(api $org)" --wait 10 --json > "$T/in-$org.json"
    inbox_each "$T/in-$org.json" 'i["messageId"]' | grep -qx "$msgid" \
        || fail "$org did not receive: $(cat "$T/in-$org.json")"
    inbox_each "$T/in-$org.json" 'text(i)' | grep -q "kind B komt vaak zonder ontbijt" \
        || fail "$org content wrong: $(cat "$T/in-$org.json")"
    inbox_each "$T/in-$org.json" 'just(i).get("consent-ref")' | grep -qx "$ref" || fail "$org justification missing"
    inbox_each "$T/in-$org.json" 'i["userRole"]' | grep -qx wijkcoach || fail "$org role missing"
    "$VANGNET" ack --agent "$(api $org)" "$msgid" | grep -q acknowledged || fail "ack $org"
    "$VANGNET" inbox --agent "$(api $org)" | grep -q "inbox empty" || fail "$org inbox not empty after ack"
done

# The sender's inbox stays empty; acking twice or an unknown id is a clear error (exit 2).
"$VANGNET" inbox --agent "$(api wijkteam-heerlen)" | grep -q "inbox empty" || fail "sender got mail"
set +e
"$VANGNET" ack --agent "$(api ggz-mondriaan)" "$msgid" 2>"$T/ack.err"; rc=$?
set -e
[ $rc -eq 5 ] && grep -q not-found "$T/ack.err" || fail "double ack: rc=$rc $(cat $T/ack.err)"

# Two DELIVERED records, one per recipient, after the ACCEPTED one; the chain is intact.
wait_for "audit_grep -c DELIVERED | grep -qx 2"
audit=$("$VANGNET" audit show --data "$T/broker-data")
echo "$audit"
echo "$audit" | grep ACCEPTED | grep -q "actor=wijkteam-heerlen user=prof-12 role=wijkcoach to=vt-zuid-limburg,ggz-mondriaan basis=consent consent-ref=$ref" \
    || fail "ACCEPTED record incomplete"
"$VANGNET" audit show --data "$T/broker-data" --json > "$T/audit.json"
grep -q "\"message_id\":\"$msgid\"" "$T/audit.json" || fail "json audit"
# The broker never saw content or the BSN.
! grep -rqa "ontbijt" "$T/broker-data" || fail "content reached the broker's store"
! grep -rqa "$BSN" "$T/broker-data" "$T/broker.log" || fail "BSN reached the broker"
# The Merkle tree and the broker's signed checkpoints verify; proofs can be printed and checked.
"$VANGNET" audit verify --data "$T/broker-data" --broker-public "$T/keys/broker.public" > "$T/verify.txt"
grep -q "intact: .* checkpoints match and carry the broker's signature" "$T/verify.txt" || fail "verify: $(cat "$T/verify.txt")"
seq=$(sed -n 's/^accepted message=[0-9a-f]* audit-seq=\([0-9]*\) .*/\1/p' <<<"$out")
"$VANGNET" audit prove --seq "$seq" --data "$T/broker-data" > "$T/prove.txt"
grep -q "^leaf_index: $((seq - 1))$" "$T/prove.txt" && grep -q "^proof:" "$T/prove.txt" || fail "prove"
"$VANGNET" audit consistency --from 1 --data "$T/broker-data" | grep -q "^from_size: 1$" || fail "consistency"
echo "01-exchange: ok"
