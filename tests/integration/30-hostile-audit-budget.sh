#!/usr/bin/env bash
# 30: a registered organisation floods the broker with garbage frames and with forged envelopes
# (another sender's name, the largest header allowed): every one is answered, but the audit log
# records at most its audit budget one by one and summarises the rest in SUPPRESSED records that
# add up to exactly what was refused; a forged header never reaches the log (only a digest).
# Meanwhile a genuine Meldcode report from a GGZ institution is accepted and delivered, the
# broker's memory and store stay within stated bounds and the audit log still verifies.
. "$(dirname "$0")/lib.sh"
vn_small_quarantine
VN_BROKER_EXTRA="[limits]
refusal_audit_rate = 5
refusal_audit_burst = 20
suppress_window_seconds = 2" vn_setup_pair
vn_org school-de-linde onderwijs
B_URL=$(cat "$T/broker-data/metrics-address")
used0=$(vn_metric "$B_URL" vangnet_broker_store_used_bytes)
rss0=$(vn_rss_kb "$BROKER_PID")

hostile school-de-linde --mode garbage --count 20000 --seconds 20 > "$T/garbage.out" &
G=$!
VN_PIDS+=("$G")
hostile school-de-linde --mode forged --claim ggz-mondriaan --to "$T/keys/vt-zuid-limburg.public" \
    --count 3000 --seconds 20 > "$T/forged.out" &
F=$!
VN_PIDS+=("$F")
sleep 1
# The genuine report during the attack: accepted, and Veilig Thuis receives it.
echo "synthetic: zorgen" > "$T/m.txt"
t0=$(date +%s%N)
out=$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 30)
t1=$(date +%s%N)
[[ $out =~ ^accepted\ message=([0-9a-f]{32}) ]] || fail "genuine report not accepted during the attack: $out"
msgid=${BASH_REMATCH[1]}
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 20 --json > "$T/vt-inbox.json"
grep -q "\"messageId\":\"$msgid\"" "$T/vt-inbox.json" || fail "genuine report not delivered during the attack"
echo "genuine report accepted in $(( (t1 - t0) / 1000000 )) ms during the attack"
wait "$G" "$F"
g=$(cat "$T/garbage.out") f=$(cat "$T/forged.out")
echo "garbage: $g"
echo "forged:  $f"
kill -0 "$BROKER_PID" || fail "broker died"
# Every frame was answered, with its reason.
[ "$(vn_field "$g" sent)" -gt 1000 ] && [ "$(vn_field "$g" answers)" = "$(vn_field "$g" sent)" ] \
    && [ "$(vn_field "$g" malformed-frame)" = "$(vn_field "$g" sent)" ] || fail "garbage not all refused: $g"
[ "$(vn_field "$f" answers)" = "$(vn_field "$f" sent)" ] \
    && [ "$(vn_field "$f" sender-mismatch)" = "$(vn_field "$f" sent)" ] || fail "forged not all refused: $f"
refused=$(( $(vn_field "$g" sent) + $(vn_field "$f" sent) ))

# The log: a few refusals one by one, the rest in SUPPRESSED records that add up exactly.
sum_all() {
    audit_grep -E "(REFUSED|SUPPRESSED) +actor=school-de-linde" > "$T/hostile-records.txt" || true
    one=$(grep -c "REFUSED" "$T/hostile-records.txt" || true)
    summed=$(grep "SUPPRESSED" "$T/hostile-records.txt" | grep -oE ' count=[0-9]+' | cut -d= -f2 |
             awk '{s += $1} END {print s + 0}')
    [ $((one + summed)) -eq "$refused" ]
}
wait_for sum_all 15
sum_all
echo "audited one by one: $one; summarised: $summed in $(grep -c SUPPRESSED "$T/hostile-records.txt") SUPPRESSED records"
# At most the burst plus the rate over the attack's ~25 s, for the two codes together.
[ "$one" -le $((20 + 5 * 30)) ] || fail "$one refusals audited one by one: over the budget"
grep -q "SUPPRESSED .*outcome=malformed-frame" "$T/hostile-records.txt" || fail "no summary for malformed-frame"
grep -q "SUPPRESSED .*outcome=sender-mismatch" "$T/hostile-records.txt" || fail "no summary for sender-mismatch"
grep -q 'reason="[0-9]* refusals of code sender-mismatch from school-de-linde suppressed between' \
    "$T/hostile-records.txt" || fail "summary does not say what happened"
# A forged header is not the sender's: only the digest and size of what was sent are kept.
grep "REFUSED .*outcome=sender-mismatch" "$T/hostile-records.txt" > "$T/forged-records.txt"
grep -qE ' sent=[0-9a-f]{16} size=[0-9]+ ' "$T/forged-records.txt" || fail "forged refusal without its digest"
! grep -q "veld-0\|jjjjjjjj" "$T/audit.txt" || fail "a forged header reached the audit log"
! grep -qE " to=| basis=| msg=|user=hostile|ggz-mondriaan" "$T/forged-records.txt" || fail "forged header fields audited"

# Bounds: the store grew by less than 4 MiB for ~$refused refusals; the broker's memory by less
# than 150 MiB (sanitizer build).
used1=$(vn_metric "$B_URL" vangnet_broker_store_used_bytes)
rss1=$(vn_rss_kb "$BROKER_PID")
echo "store growth $(( (used1 - used0) / 1024 )) KiB, broker RSS growth $(( (rss1 - rss0) / 1024 )) MiB"
[ $((used1 - used0)) -lt $((4 << 20)) ] || fail "store grew $((used1 - used0)) bytes"
[ $((rss1 - rss0)) -lt $((150 << 10)) ] || fail "broker RSS grew $((rss1 - rss0)) KiB"
# Budgets in metrics and status, with a warning for the organisation over its budget.
grep -qE '^vangnet_broker_budget_exceeded_total\{org="school-de-linde",budget="refusal-audit"\} [0-9]+' <(curl -sf "$B_URL/metrics") \
    || fail "budget metric missing"
set +e
"$VANGNET" status --url "$B_URL" > "$T/status.txt"
set -e
grep -q "WARNING: .*school-de-linde is over its budget" "$T/status.txt" || fail "no status warning: $(cat "$T/status.txt")"
grep -q "^budget: *school-de-linde" "$T/status.txt" || fail "no budget line in status"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "30-hostile-audit-budget: ok"
