#!/usr/bin/env bash
# 75: many submits about new children at once. While the pseudonym service is slow they wait for
# one evaluation in common (a few requests, not one each); killed -9 in the middle of a batch,
# every submit is accepted into the agent's outbox and held (queued, pseudonym-unavailable),
# sealed at rest, kept across a kill -9 of the agent, never sent without a pseudonym; once the
# service is back each is delivered exactly once, under the id it was given.
VN_PSEUDONYMS=own # this test starts, stops and kills the pseudonym service itself
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_pseudonymd_start
export VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 10000"
vn_agent_start ggz-mondriaan
vn_agent_start vt-zuid-limburg
echo "synthetisch" > "$T/m.txt"
G=$(api ggz-mondriaan) V=$(api vt-zuid-limburg)
N=30
# 2N synthetic BSNs passing the elfproef, none the shared $BSN.
python3 - $((2 * N)) > "$T/bsns" <<'PY'
import sys
n, b = int(sys.argv[1]), 200000000
while n:
    b += 1
    d = "%09d" % b
    if sum(int(d[i]) * (9 - i) for i in range(8)) % 11 == int(d[8]):
        print(d); n -= 1
PY
mapfile -t BSNS < "$T/bsns"
"$VANGNET" send --agent "$G" --to vt-zuid-limburg --subject $BSN $MELD --wait 10 --file "$T/m.txt" >/dev/null \
    || fail "first send"
# send_all FIRST COUNT TAG: COUNT submits in parallel, subjects BSNS[FIRST..]; exit codes in $T/TAG.rc.N
send_all() {
    local pids=() i
    for i in $(seq "$1" $(($1 + $2 - 1))); do
        ( rc=0; "$VANGNET" send --agent "$G" --to vt-zuid-limburg --subject "${BSNS[$i]}" $MELD --wait 15 \
              --client-ref "$3-$i" --file "$T/m.txt" > "$T/$3.out.$i" 2>&1 || rc=$?
          echo $rc > "$T/$3.rc.$i" ) &
        pids+=($!)
    done
    wait "${pids[@]}"
}
requests() { # requests the service counted for ggz's notifications (its audit log, after a stop)
    sed -n 's/.* org=ggz-mondriaan purpose=notification requests=\([0-9]*\) .*/\1/p' "$T/pd-data/audit.log" | tail -1
}

# 1. The service slow (stopped until all have arrived, less than timeout_ms): N new subjects pile
#    up behind one request and go together in the next, not one request each.
metrics=$(sed -n 's/.*event=http-listening address=\(http[^ ]*\).*/\1/p' "$T/ggz-mondriaan.log" | tail -1)
kill -STOP "$PSEUDONYMD_PID"
# released once every submit waits at the agent (all but the one in the request out)
( for _ in $(seq 300); do
      [ "$(vn_metric "$metrics" vangnet_agent_pseudonym_waiting)" -ge $((N - 1)) ] && break; sleep 0.05
  done; kill -CONT "$PSEUDONYMD_PID" ) &
send_all 0 $N slow
for i in $(seq 0 $((N - 1))); do
    [ "$(cat "$T/slow.rc.$i")" = 0 ] || [ "$(cat "$T/slow.rc.$i")" = 4 ] || fail "slow $i: $(cat "$T/slow.out.$i")"
    ! grep -q pseudonym-unavailable "$T/slow.out.$i" || fail "held though the service answered: $(cat "$T/slow.out.$i")"
done
vn_pseudonymd_kill TERM # its audit log gets the running hour's counts
r=$(requests)
[ -n "$r" ] && [ "$r" -le 4 ] || fail "$N new subjects took ${r:-?} requests: $(cat "$T/pd-data/audit.log")"
echo "batched: 1 + $N subjects in $r requests"
PSEUDONYMD_LISTEN=$PSEUDONYMD_EP vn_pseudonymd_start

# 2. Killed -9 in the middle of a batch: a request is out (the service stopped, so it has read
#    it and will never answer) when it dies; every submit is held, none fails, none is sent.
audit_grep -c . > "$T/audit_n_before" || true
kill -STOP "$PSEUDONYMD_PID"
( sleep 0.5; kill -KILL "$PSEUDONYMD_PID" ) &
killer=$!
send_all $N $N down
wait $killer
vn_pseudonymd_kill KILL
for i in $(seq $N $((2 * N - 1))); do
    [ "$(cat "$T/down.rc.$i")" = 4 ] && grep -q "^queued message=[0-9a-f]\{32\} code=pseudonym-unavailable" "$T/down.out.$i" \
        || fail "submit $i not held (exit $(cat "$T/down.rc.$i")): $(cat "$T/down.out.$i")"
done
sed -n 's/^queued message=\([0-9a-f]*\).*/\1/p' "$T"/down.out.* | sort > "$T/held_ids"
[ "$(sort -u "$T/held_ids" | wc -l)" = $N ] || fail "held ids: $(cat "$T/held_ids")"
"$VANGNET" status --agent "$G" | grep -q " held=$N " || fail "status: $("$VANGNET" status --agent "$G")"
metrics=$(sed -n 's/.*event=http-listening address=\(http[^ ]*\).*/\1/p' "$T/ggz-mondriaan.log" | tail -1)
[ "$(vn_metric "$metrics" vangnet_agent_pseudonym_held)" = "$N" ] || fail "metric: $(vn_metric "$metrics" vangnet_agent_pseudonym_held)"
"$VANGNET" outcome --agent "$G" --client-ref "down-$N" --json > "$T/o.json" || true
python3 -c "
import json
o = json.load(open('$T/o.json'))
assert o['outcome'] == 'queued' and o['code'] == 'pseudonym-unavailable' and 'held' in o['reason'], o
" || fail "outcome: $(cat "$T/o.json")"
# Sealed at rest: no held BSN in the agent's files.
for i in $(seq $N $((2 * N - 1))); do
    ! grep -rqa "${BSNS[$i]}" "$T/ggz-mondriaan-data" || fail "BSN ${BSNS[$i]} in clear in the agent's store"
done
# Nothing of them at the broker.
for id in $(cat "$T/held_ids"); do ! audit_grep -q "$id" || fail "$id reached the broker without a pseudonym"; done
# Held across a kill -9 of the agent (the service still down); a repeat of a client_ref is the
# same held message.
vn_agent_kill ggz-mondriaan KILL
vn_agent_start ggz-mondriaan
"$VANGNET" status --agent "$G" | grep -q " held=$N " || fail "not held after a restart: $("$VANGNET" status --agent "$G")"
rc=0; "$VANGNET" send --agent "$G" --to vt-zuid-limburg --subject "${BSNS[$N]}" $MELD --wait 0 \
    --client-ref "down-$N" --file "$T/m.txt" > "$T/repeat.out" 2>&1 || rc=$?
grep -q "^queued message=$(sed -n 's/^queued message=\([0-9a-f]*\).*/\1/p' "$T/down.out.$N") code=pseudonym-unavailable repeated=yes" "$T/repeat.out" \
    || fail "repeat (exit $rc): $(cat "$T/repeat.out")"

# 3. Back: all held submits go by themselves, each once, under its own id.
PSEUDONYMD_LISTEN=$PSEUDONYMD_EP vn_pseudonymd_start
wait_for "'$VANGNET' status --agent '$G' | grep -q 'outbox=0 held=0 '" 60
for id in $(cat "$T/held_ids"); do
    "$VANGNET" outcome --agent "$G" --id "$id" --wait 20 > "$T/o.txt" || fail "$id: $(cat "$T/o.txt")"
    grep -q "^accepted message=$id" "$T/o.txt" || fail "$id: $(cat "$T/o.txt")"
done
wait_for "[ \$('$VANGNET' inbox --agent '$V' --max 500 | grep -c '^  subject:  bsn') -ge $((2 * N + 1)) ]" 60
"$VANGNET" inbox --agent "$V" --max 500 > "$T/inbox.txt"
for i in $(seq 0 $((2 * N - 1))); do
    [ "$(grep -c "${BSNS[$i]}" "$T/inbox.txt")" = 1 ] || fail "${BSNS[$i]} not delivered exactly once: $(grep -c "${BSNS[$i]}" "$T/inbox.txt")"
done
audit_grep -q . # refresh $T/audit.txt
for id in $(cat "$T/held_ids"); do
    [ "$(grep -c "$id" "$T/audit.txt")" -ge 1 ] || fail "$id not in the broker's log"
done
grep -q "event=released msg=$(head -1 "$T/held_ids")" "$T/ggz-mondriaan.log" || fail "release not logged"
echo ok
