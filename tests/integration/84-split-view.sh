#!/usr/bin/env bash
# 84: witnesses against a split view. Three agents witness the broker's log (quorum 2). The
# broker's operator then runs a second broker process with the same keys on a forked copy of the
# store (vn-forge fork: an old record rewritten, re-signed) and moves one witness and a fresh
# sender to it. The true log keeps its quorum and its receipts become final; the forked log gets no
# cosignature: the witness that had cosigned the true log refuses (tlog-witness 422) and raises the
# alarm, and the fresh sender's receipt from the fork never becomes final.
. "$(dirname "$0")/lib.sh"
WITNESS=$'[witness]\nwitnesses = ggz-mondriaan,vt-zuid-limburg,wijkteam-heerlen\nquorum = 2'
export VN_BROKER_EXTRA=$WITNESS VN_AGENT_EXTRA=$WITNESS
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_org wijkteam-heerlen wijkteam
vn_org school-de-linde onderwijs
for org in ggz-mondriaan vt-zuid-limburg wijkteam-heerlen; do vn_agent_start $org; done
echo "synthetisch" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api "$1")" --to vt-zuid-limburg --subject $BSN $MELD --file "$T/m.txt" |
             sed -n 's/^accepted .*audit-seq=\([0-9]*\).*/\1/p'; }
status() { curl -sf "$(cat "$T/$1-data/metrics-address")/status" |
               python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

# The true log: receipts become final once two witnesses cosigned a checkpoint holding them.
seq1=$(send ggz-mondriaan)
[ -n "$seq1" ] || fail "send 1"
wait_for "[ \$(status ggz-mondriaan receipts_final_through) -ge $seq1 ]" 20
wait_for "[ \$(status wijkteam-heerlen witness_cosigned_size) -ge $seq1 ]" 20
cosigned=$(status wijkteam-heerlen witness_cosigned_size)
grep -q "^# TYPE vangnet_broker_cosign_latency_seconds histogram" <(curl -sf "$(cat "$T/broker-data/metrics-address")/metrics") \
    || fail "no cosignature latency metric"

# The split view: a second broker with the same keys on a forked copy (record 3 rewritten).
"$VN_FORGE" fork "$T/broker-data" "$T/fork-data" "$T/keys/broker.secret" 3 | grep -q "rewrote record 3" \
    || fail "fork"
sed "s|^data = .*|data = $T/fork-data|" "$T/broker.conf" > "$T/fork.conf"
rm -f "$T/fork-data/endpoint" "$T/fork-data/metrics-address"
"$BROKER_BIN" --config "$T/fork.conf" >>"$T/fork.log" 2>&1 & FORK_PID=$!; VN_PIDS+=("$FORK_PID")
wait_for "[ -s '$T/fork-data/endpoint' ]"
TRUE_EP=$BROKER_EP
BROKER_EP=$(cat "$T/fork-data/endpoint")
# One witness and a sender that never saw the true log are moved to the fork.
vn_agent_kill wijkteam-heerlen
vn_agent_start wijkteam-heerlen
vn_agent_start school-de-linde
BROKER_EP=$TRUE_EP

# The moved witness refuses to cosign the fork and raises the alarm.
wait_for "grep -q 'event=AUDIT-LOG-ALARM.*split view' '$T/wijkteam-heerlen.log'" 20
grep -q "event=witness-refused witness=wijkteam-heerlen status=422" "$T/fork.log" || fail "fork not refused"
[ "$(status wijkteam-heerlen witness_cosigned_size)" -eq "$cosigned" ] || fail "the witness cosigned the fork"
[ "$(status wijkteam-heerlen audit_log)" = INCONSISTENT ] || fail "no alarm in the witness's status"

# The fresh sender on the fork gets a receipt (the fork's signature is the broker's) that never
# becomes final: no quorum of witnesses cosigns the fork.
fseq=$(send school-de-linde)
[ -n "$fseq" ] || fail "no receipt from the fork"
wait_for "curl -sf \$(cat '$T/fork-data/metrics-address')/log/checkpoint | sed -n 2p | grep -qx $fseq" 20
sleep 3   # rounds on the fork run and end without a quorum
[ "$(status school-de-linde receipts_final_through)" -lt "$fseq" ] || fail "a receipt from the fork became final"
curl -sf "$(cat "$T/fork-data/metrics-address")/log/checkpoint" | grep -q "^— vangnet.example/witness-" \
    && fail "the fork's checkpoint carries a cosignature"

# Meanwhile the true log goes on with its two remaining witnesses, final as before.
seq2=$(send ggz-mondriaan)
[ -n "$seq2" ] || fail "send on the true log"
wait_for "[ \$(status ggz-mondriaan receipts_final_through) -ge $seq2 ]" 20
[ "$(status ggz-mondriaan audit_log)" = consistent ] || fail "the true log's sender alarmed"
echo "84-split-view: ok"
