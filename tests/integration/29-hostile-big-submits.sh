#!/usr/bin/env bash
# 29: one organisation floods valid, signed submissions of 200 KB each, faster than the workers
# and the group commit can take them. Counted only by number, thousands of them would wait in the
# broker's memory (4,096 x 1 MiB is 4 GiB); submit_in_flight_mb bounds their bytes per
# organisation, so beyond it they are answered too-many-in-flight before any work, the broker's
# memory stays bounded, and a genuine report from a GGZ institution is accepted and delivered.
# What it gets stored is bounded in bytes too (its share of the store, queue_share_percent of
# map_size_mb): the store never fills, so the recipient's rejections and acks keep draining it.
# A 64 MiB store makes that share 16 MiB, about 80 of the flood's envelopes, so the share engages
# even when a loaded machine lets the flood through slowly (154 sent in 10 s in one such run);
# it floods for 30 s so the genuine report is surely sent during it (under load the steps before
# the send took 11 s).
. "$(dirname "$0")/lib.sh"
vn_small_quarantine
VN_BROKER_EXTRA="[limits]
submit_rate = 100000
submit_burst = 100000
submit_in_flight = 4096
submit_in_flight_mb = 2" VN_BROKER_MAP_MB=64 vn_setup_pair
vn_org school-de-linde onderwijs
B_URL=$(cat "$T/broker-data/metrics-address")
rss0=$(vn_rss_kb "$BROKER_PID")
hostile school-de-linde --mode flood --to "$T/keys/vt-zuid-limburg.public" --count 1000000 \
    --window 512 --size 200000 --seconds 30 > "$T/flood.out" &
H=$!
VN_PIDS+=("$H")
sleep 3
peak=0
for _ in 1 2 3 4 5; do
    b=$(curl -sf "$B_URL/metrics" | awk '/^vangnet_broker_submit_bytes_in_flight\{org="school-de-linde"\}/ {print $2}')
    [ -n "$b" ] && [ "$b" -gt "$peak" ] && peak=$b
    sleep 0.3
done
echo "synthetic: zorgen" > "$T/m.txt"
out=$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 30)
[[ $out == accepted* ]] || fail "genuine report not accepted during the flood: $out"
kill -0 "$H" || fail "the flood ended before the genuine report was sent"
rss1=$(vn_rss_kb "$BROKER_PID")
wait "$H"
f=$(cat "$T/flood.out")
echo "flood: $f"
kill -0 "$BROKER_PID" || fail "broker died"
limited=$(vn_field "$f" too-many-in-flight)
[ "${limited:-0}" -gt 0 ] || fail "the flood's bytes in flight were not limited: $f"
[ "$(vn_field "$f" queue-share-full)" -gt 0 ] || fail "the flood's stored bytes were not limited: $f"
! grep -q "event=storage-full" "$T/broker.log" || fail "one sender filled the broker's store"
echo "bytes in flight seen: at most $peak (limit 2 MiB plus one envelope)"
[ "$peak" -le $(( (2 << 20) + 300000 )) ] || fail "$peak bytes in flight: over submit_in_flight_mb"
echo "broker RSS growth during the flood $(( (rss1 - rss0) / 1024 )) MiB"
[ $(( (rss1 - rss0) / 1024 )) -lt 96 ] || fail "broker memory grew $(( (rss1 - rss0) / 1024 )) MiB"
# It waits behind the flood's accepted envelopes in VT's queue (each refused by VT's agent as
# unreadable), at most the school's share of it; an inbox wait returns on any new item, so poll.
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' --from ggz-mondriaan | grep -q zorgen" 90
wait_for "curl -sf '$B_URL/metrics' | grep -q '^vangnet_broker_submit_bytes_in_flight{org=\"school-de-linde\"} 0$'" 30
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "29-hostile-big-submits: ok"
