#!/usr/bin/env bash
# 06: the broker's LMDB map fills up: new submissions are refused with "storage-full" before the
# last 5 % (kept for acks and rejections), nothing already stored is lost, and the broker keeps
# delivering (which frees room again).
. "$(dirname "$0")/lib.sh"
# One sender fills it here, so its share of the store is off (test 29 shows the share).
VN_BROKER_EXTRA="[limits]
queue_share_percent = 0" VN_BROKER_MAP_MB=2 vn_setup_pair
vn_agent_kill vt-zuid-limburg
head -c 300000 /dev/zero | tr '\0' 'x' > "$T/big.txt"
accepted=0
full=0
for i in $(seq 40); do
    set +e
    out=$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN \
          $MELD --wait 60 --file "$T/big.txt"); rc=$?
    set -e
    if [ $rc -eq 0 ]; then accepted=$((accepted + 1)); continue; fi
    # Refused by the broker as "storage full"; the agent keeps it and retries (exit 4, queued).
    [ $rc -eq 4 ] && [[ $out == *"storage is full"* ]] || fail "unexpected answer when filling: rc=$rc $out"
    full=1
    break
done
[ $full -eq 1 ] || fail "map never filled"
[ $accepted -gt 0 ] || fail "nothing accepted before full"
grep -q "event=storage-full" "$T/broker.log" || fail "storage-full not logged"
# Refused within the store's last 5 %, kept for acks and rejections: no commit ever failed for want
# of room, so what is stored keeps draining.
grep -q "event=storage-full action=refusing-new-submissions reason=reserve" "$T/broker.log" \
    || fail "the store's reserve did not refuse: $(grep storage "$T/broker.log")"
! grep -q "event=commit-failed" "$T/broker.log" || fail "a commit failed for want of room"
set +e
"$VANGNET" broker status --data "$T/broker-data" >"$T/st.txt"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "WARNING: .*store .*full: raise map_size_mb" "$T/st.txt" || fail "no store alert: $rc $(cat "$T/st.txt")"
kill -0 "$BROKER_PID" || fail "broker died"
# The running broker says the same on its status page and counts the refusals by code.
set +e
"$VANGNET" status --url "$(cat "$T/broker-data/metrics-address")" >"$T/live.txt"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "WARNING: .*store .*full" "$T/live.txt" || fail "live status: $rc $(cat "$T/live.txt")"
curl -sf "$(cat "$T/broker-data/metrics-address")/metrics" > "$T/metrics.txt"
grep -q '^vangnet_broker_notifications_refused_total{code="storage-full"} [1-9]' "$T/metrics.txt" \
    || fail "storage-full refusals not counted: $(grep refused "$T/metrics.txt")"
echo "accepted $accepted before the store was full"
# Everything accepted before is delivered; delivery frees room, and the agent's retry of the
# refused one then succeeds, so nothing is lost at either end.
vn_agent_start vt-zuid-limburg
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q 'inbox=$((accepted + 1)) '" 60
"$VANGNET" status --agent "$(api ggz-mondriaan)" | grep -q "outbox=0" || fail "sender still holds a message"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
# And a new submission is accepted straight away.
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN \
    $MELD --file "$T/big.txt" | grep -q '^accepted' || fail "no room after delivery"
echo "06-storage-full: ok"
