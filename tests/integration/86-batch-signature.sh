#!/usr/bin/env bash
# 86: signature amortisation. Notifications an agent has ready at once go out under one batch
# signature, each with its inclusion path; the broker verifies the batch once and the recipient
# too, and every one is delivered. A tampered batch member (its path changed, or another
# member's place and path) is refused as bad-signature while the rest of its batch is accepted.
. "$(dirname "$0")/lib.sh"
VN_PSEUDONYMS=v1 # the raw client below seals readable content under the network key
vn_setup_pair
G_URL=$(cat "$T/ggz-mondriaan-data/metrics-address")
V_URL=$(cat "$T/vt-zuid-limburg-data/metrics-address")
B_URL=$(cat "$T/broker-data/metrics-address")
echo "synthetic: zorgen over thuissituatie, batch" > "$T/m.txt"

# 1. The real agents. The sending agent is paused while twelve submits queue at its API, so its
# next turns find several at once; another round if every one of them still came alone.
sent=0
for round in 1 2 3; do
    kill -STOP "$(vn_agent_pid ggz-mondriaan)"
    pids=()
    for i in $(seq 12); do
        "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
            --wait 60 --file "$T/m.txt" > "$T/send-$round-$i.txt" &
        pids+=($!)
    done
    sleep 1
    kill -CONT "$(vn_agent_pid ggz-mondriaan)"
    for p in "${pids[@]}"; do wait "$p" || fail "a send failed: $(cat "$T"/send-$round-*.txt)"; done
    sent=$((sent + 12))
    [ "$(vn_metric "$G_URL" vangnet_agent_batch_signatures_total)" -gt 0 ] && break
done
signed=$(vn_metric "$G_URL" vangnet_agent_batch_signed_total)
[ "$signed" -ge 2 ] || fail "no batch signature in $sent notifications"
echo "$sent sent, $signed of them under $(vn_metric "$G_URL" vangnet_agent_batch_signatures_total) batch signatures"
grep -h '^accepted message=' "$T"/send-*.txt | wc -l | grep -qx "$sent" || fail "not all accepted"
[ "$(vn_metric "$B_URL" vangnet_broker_batch_verifications_saved_total)" -gt 0 ] \
    || fail "the broker verified every batch member's signature"
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --max 100 --json > "$T/vt.json"
[ "$(inbox_each "$T/vt.json" 'i["kind"] == "notification" and "zorgen over thuissituatie, batch" in text(i)' | wc -l)" -eq "$sent" ] \
    || fail "not every batched notification was delivered: $(cat "$T/vt.json")"
[ "$(vn_metric "$V_URL" vangnet_agent_batch_verifications_saved_total)" -gt 0 ] \
    || fail "the recipient verified every batch member's signature"
# ... and the turn's content keys to one recipient shared one ephemeral key (v2 wrappings), which
# the recipient opened with one key agreement: every one of them was read above.
shared=$(vn_metric "$G_URL" vangnet_agent_wraps_shared_total)
[ "$shared" -gt 0 ] || fail "every wrapping made its own ephemeral key"
[ "$(vn_metric "$V_URL" vangnet_agent_unwraps_cached_total)" -gt 0 ] \
    || fail "the recipient made a key agreement for every wrapping"
echo "$shared wrappings under a shared ephemeral key"

# 2. Tampered members, from a client speaking with the sender's keys (its agent off).
vn_agent_kill ggz-mondriaan
refused_before=$(audit_grep -c 'REFUSED .*outcome=bad-signature' || true)
for mode in badpath swapped; do
    "$VN_RAWPEER" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" \
        --keys "$T/keys/ggz-mondriaan.secret" --to "$T/keys/vt-zuid-limburg.public" \
        --pseudonym-key "$T/keys/pseudonym.key" --batch 4 --mode $mode > "$T/raw-$mode.txt"
    [ "$(grep -c '^receipt ' "$T/raw-$mode.txt")" -eq 3 ] || fail "$mode: 3 good members: $(cat "$T/raw-$mode.txt")"
    [ "$(grep -c '^refusal code=bad-signature ' "$T/raw-$mode.txt")" -eq 1 ] \
        || fail "$mode: the tampered member is a bad signature: $(cat "$T/raw-$mode.txt")"
done
wait_for "[ \$(audit_grep -c 'REFUSED .*outcome=bad-signature' || true) -eq $((refused_before + 2)) ]" 10
# The six good members reach the recipient and open there.
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q 'inbox=$((sent + 6)) '" 20
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --max 100 --json > "$T/vt2.json"
[ "$(inbox_each "$T/vt2.json" 'i["kind"] == "notification"' | wc -l)" -eq $((sent + 6)) ] \
    || fail "the good members of the tampered batches: $(cat "$T/vt2.json")"
grep -q 'event=delivery-rejected' "$T/vt-zuid-limburg.log" && fail "the recipient rejected a delivery"
"$VANGNET" audit verify --data "$T/broker-data" > /dev/null || fail "audit chain"
echo "86-batch-signature: ok"
