#!/usr/bin/env bash
# 85: `vangnet witness`, the outside supervisor's mode: with nothing but the broker's vkey, its
# published checkpoint and tiles (no record, no store), it keeps a checkpoint and proves each newer
# one extends it; a checkpoint an agent holds can be checked too (--also). When the broker rewrites
# an old record and re-signs (its disk verifies), the supervisor raises the alarm (exit 3).
. "$(dirname "$0")/lib.sh"
vn_setup_pair
sed -i "s|^endpoint = .*|endpoint = $BROKER_EP|" "$T/broker.conf"
echo "synthetisch" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD --file "$T/m.txt" >/dev/null; }
VKEY=$("$VANGNET" keygen --vkey "$T/keys/broker.public" | sed -n 's/^log vkey: //p')
# Its own key set only signs its cosignatures; it is never registered at the broker.
"$VANGNET" keygen --org inspectie --sector gemeente --out "$T/keys" >/dev/null
watch() { "$VANGNET" witness --url "$(cat "$T/broker-data/metrics-address")/log" --vkey "$VKEY" \
              --state "$T/inspectie.checkpoint" "$@"; }
send
wait_for "curl -sf \$(cat '$T/broker-data/metrics-address')/log/checkpoint >/dev/null"
watch > "$T/w1.txt" || fail "first check: $(cat "$T/w1.txt")"
grep -q "^first checkpoint: size" "$T/w1.txt" || fail "$(cat "$T/w1.txt")"
first=$(sed -n 2p "$T/inspectie.checkpoint")
"$VN_FORGE" grow "$T/broker-data" 700 >/dev/null   # past two full tiles, so proofs use level-1 tiles
send
wait_for "[ \$(curl -sf \$(cat '$T/broker-data/metrics-address')/log/checkpoint | sed -n 2p) -gt 700 ]" 20
# The agent's held checkpoint, as the supervisor would get it from an agency, checked as well.
curl -sf "$(cat "$T/broker-data/metrics-address")/log/checkpoint" > "$T/agent-held.txt"
watch --also "$T/agent-held.txt" --key "$T/keys/inspectie.secret" > "$T/w2.txt" || fail "second check: $(cat "$T/w2.txt")"
grep -q "^consistent: size [0-9]* extends the kept size $first" "$T/w2.txt" || fail "$(cat "$T/w2.txt")"
grep -q "^consistent: .*agent-held.txt" "$T/w2.txt" || fail "--also not checked"
grep -Eq "^— vangnet.example/witness-inspectie [A-Za-z0-9+/]{102}==$" "$T/w2.txt" || fail "no cosignature line"
# It reads tiles only: the broker's HTTP log shows no record was asked for (entries are refused anyway).
! grep -q "tile/entries" "$T/w2.txt"

# The broker rewrites record 3 and re-signs: its own disk verifies, the supervisor does not agree.
vn_broker_kill TERM
"$VN_FORGE" "$T/broker-data" "$T/keys/broker.secret" 3 >/dev/null
"$VANGNET" audit verify --data "$T/broker-data" --broker-public "$T/keys/broker.public" | grep -q intact \
    || fail "the forged log should verify on the broker's disk"
"$BROKER_BIN" --config "$T/broker.conf" >>"$T/broker.log" 2>&1 & BROKER_PID=$!; VN_PIDS+=("$BROKER_PID")
wait_for "curl -sf \$(cat '$T/broker-data/metrics-address')/log/checkpoint >/dev/null" 20
set +e
watch > "$T/w3.txt"; rc=$?
set -e
[ $rc -eq 3 ] && grep -q "^ALARM: the log of size .* does not extend the checkpoint" "$T/w3.txt" \
    || fail "rewrite not detected (rc=$rc): $(cat "$T/w3.txt")"
# A wrong vkey is a usage error, not a pass.
set +e
"$VANGNET" witness --url http://127.0.0.1:1/log --vkey "not-a-vkey" --state "$T/x" 2>/dev/null; rc=$?
set -e
[ $rc -eq 2 ] || fail "bad vkey rc=$rc"
echo "85-outside-witness: ok"
