#!/usr/bin/env bash
# 39: attack 5 of issue 11. One sender fills Veilig Thuis's agent (a small store, 8 MiB) with
# 200 KB reports. The agent used to fail every commit once full and stop acking, so reports from
# everyone else stayed stuck. Now above 90 % it tells the broker it is full: the broker holds the
# rest (status WARNING, vangnet_broker_agent_store_full), the agent keeps answering its IT
# system, whose acks free space, and below 75 % it says so and the broker sends the rest,
# including a genuine report from a school that was accepted while the agent was full; the IT
# system finds it among the flood with `inbox --from school-de-linde` (the agent's sender index).
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_org school-de-linde onderwijs
vn_agent_start ggz-mondriaan
vn_agent_start school-de-linde
VN_AGENT_EXTRA="map_size_mb = 8" vn_agent_start vt-zuid-limburg
B_URL=$(cat "$T/broker-data/metrics-address")
VT="$(api vt-zuid-limburg)"
head -c 200000 /dev/zero | tr '\0' 'z' > "$T/big.txt"
for j in 1 2 3 4; do
    ( for _ in $(seq 15); do
          "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
              --file "$T/big.txt" --wait 60 | grep -q '^accepted' || exit 1
      done ) &
    S[$j]=$!
    VN_PIDS+=("${S[$j]}")
done
for j in 1 2 3 4; do wait "${S[$j]}" || fail "a flood report was not accepted"; done
wait_for "grep -q 'event=agent-store-full org=vt-zuid-limburg' '$T/broker.log'" 60
grep -q 'event=store-full' "$T/vt-zuid-limburg.log" || fail "agent did not log store-full"
[ "$(curl -sf "$B_URL/metrics" | awk '$1 == "vangnet_broker_agent_store_full{org=\"vt-zuid-limburg\"}" {print $2}')" = 1 ] ||
    fail "store-full metric not 1"
set +e
"$VANGNET" status --url "$B_URL" > "$T/bstatus.txt"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "vt-zuid-limburg's agent says its store is full: [1-9][0-9]* deliveries held" "$T/bstatus.txt" ||
    fail "broker status does not say so: $(cat "$T/bstatus.txt")"
# The genuine report is accepted and held while the agent is full.
echo "synthetic: zorgen over een leerling" > "$T/m.txt"
out=$("$VANGNET" send --agent "$(api school-de-linde)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 20)
echo "$out" | grep -q '^accepted' || fail "genuine report not accepted: $out"
msgid=$(echo "$out" | sed -n 's/^accepted message=\([0-9a-f]*\) .*/\1/p')
[ -n "$msgid" ] || fail "no message id in: $out"
sleep 2
[ "$(curl -sf "$B_URL/metrics" | awk '$1 == "vangnet_broker_queue_depth{recipient=\"vt-zuid-limburg\"}" {print $2}')" -ge 2 ] ||
    fail "nothing held at the broker"
# The agent still answers its IT system while full, and the acks commit.
"$VANGNET" status --agent "$VT" | grep -q 'connected=yes' || fail "agent status unanswered"
stored=$("$VANGNET" status --agent "$VT" | sed -n 's/.* inbox=\([0-9]*\) .*/\1/p')
echo "stored before full: $stored of 60"
[ "$stored" -ge 5 ] && [ "$stored" -lt 60 ] || fail "stored $stored"
# The IT system takes over the flooding sender's notifications (`--from`: that sender's only),
# acking each, until the school's report is there; the school's page holds only the school's.
found=0
for round in $(seq 60); do
    "$VANGNET" inbox --agent "$VT" --from school-de-linde --json > "$T/school.json"
    if inbox_each "$T/school.json" 'i["messageId"]' | grep -qx "$msgid"; then found=1; break; fi
    "$VANGNET" inbox --agent "$VT" --from ggz-mondriaan --max 10 --json > "$T/in.json"
    inbox_each "$T/in.json" 'i["sender"]' | grep -vqx ggz-mondriaan && fail "--from gave another sender's"
    inbox_each "$T/in.json" 'i["messageId"]' > "$T/ids.txt"
    while read -r id; do
        "$VANGNET" ack --agent "$VT" "$id" >/dev/null || fail "ack of $id failed while full"
    done < "$T/ids.txt"
    [ -s "$T/ids.txt" ] || sleep 1
done
[ $found -eq 1 ] || fail "the genuine report never reached the inbox"
[ "$(inbox_each "$T/school.json" 'i["sender"]' | sort -u)" = school-de-linde ] ||
    fail "the school's page holds other senders' items"
"$VANGNET" ack --agent "$VT" "$msgid" >/dev/null || fail "ack of the genuine report"
# The rest of the flood, taken over, frees the store for good.
for round in $(seq 60); do
    "$VANGNET" inbox --agent "$VT" --max 20 --json > "$T/in.json"
    inbox_each "$T/in.json" 'i["messageId"]' > "$T/ids.txt"
    [ -s "$T/ids.txt" ] || [ "$(vn_metric "$B_URL" vangnet_broker_deliveries_total)" -lt 61 ] || break
    while read -r id; do "$VANGNET" ack --agent "$VT" "$id" >/dev/null; done < "$T/ids.txt"
    [ -s "$T/ids.txt" ] || sleep 1
done
grep -q 'event=agent-store-space-returned org=vt-zuid-limburg' "$T/broker.log" ||
    fail "the agent never told the broker it had room"
wait_for "[ \$(vn_metric '$B_URL' vangnet_broker_deliveries_total) -ge 61 ]" 30
[ "$(curl -sf "$B_URL/metrics" | awk '$1 == "vangnet_broker_agent_store_full{org=\"vt-zuid-limburg\"}" {print $2}')" = 0 ] ||
    fail "store-full metric not back to 0"
kill -0 "$BROKER_PID" || fail "broker died"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "39-hostile-full-agent: ok"
