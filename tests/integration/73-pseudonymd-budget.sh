#!/usr/bin/env bash
# 73: each organisation's daily evaluation budget at the pseudonym service: the next evaluation
# over it is refused with a clear code (warned in the service's log, counted in its audit log),
# a restart does not reset it, another organisation's budget is its own, and it starts again the
# next day (the service's clock moved through VN_PSEUDONYMD_CLOCK_FILE).
VN_PSEUDONYMS=own # this test starts the pseudonym service itself
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
export VN_PSEUDONYMD_CLOCK_FILE="$T/clock"
now=$(date +%s); echo $(( now - now % 86400 + 43200 )) > "$T/clock"   # noon UTC today
export VN_PSEUDONYMD_EXTRA="budget_per_day = 3" VN_PSEUDONYMD_BUDGETS="vt-zuid-limburg = 100"
vn_pseudonymd_start
vn_agent_start ggz-mondriaan
vn_agent_start vt-zuid-limburg
echo "synthetisch" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject "$1" $MELD --wait 10 --file "$T/m.txt"; }
B1=111222333 B2=123456782 B3=456789017 B4=234567892
for b in $B1 $B2 $B3; do send $b > /dev/null || fail "send within the budget ($b)"; done

# 1. The fourth new subject is over ggz's budget of 3 a day: refused, clearly, nothing sent.
! send $B4 > "$T/s.out" 2> "$T/s.err" || fail "evaluated over budget"
grep -q "pseudonym-refused" "$T/s.err" && grep -q "over budget: ggz-mondriaan may have 3 evaluations per day" "$T/s.err" \
    || fail "unclear refusal: $(cat "$T/s.err" "$T/s.out")"
grep -q "event=budget-exceeded org=ggz-mondriaan purpose=notification asked=1 spent_today=3 budget_per_day=3" "$T/pseudonymd.log" \
    || fail "not warned: $(cat "$T/pseudonymd.log")"
# The agent counts it (Prometheus, on its metrics endpoint).
curl -s "$(cat "$T/ggz-mondriaan-data/metrics-address")/metrics" > "$T/metrics.txt"
grep -q "^vangnet_agent_pseudonyms_refused_total 1$" "$T/metrics.txt" || fail "not counted: $(grep pseudonym "$T/metrics.txt")"
grep -q "^vangnet_agent_pseudonyms_evaluated_total 3$" "$T/metrics.txt" || fail "evaluations: $(grep pseudonym "$T/metrics.txt")"
# A subject already cached costs nothing, so it still goes.
send $B1 > /dev/null || fail "a cached subject was refused"
# vt's own budget (100) is untouched by ggz's: it checked all four deliveries.
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -c 'subject' | grep -qx 4"

# 2. A crash does not reset the budget: the state is written before every answer.
vn_pseudonymd_kill KILL
PSEUDONYMD_LISTEN=$PSEUDONYMD_EP vn_pseudonymd_start
ok=
for _ in 1 2 3; do
    send $B4 > /dev/null 2> "$T/s2.err" && fail "a restart reset the budget"
    grep -q "pseudonym-refused" "$T/s2.err" && { ok=1; break; }
    sleep 0.5
done
[ -n "$ok" ] || fail "after the restart: $(cat "$T/s2.err")"

# 3. The next day the budget starts again; the closed hour is in the audit log with its refusals.
echo $(( $(cat "$T/clock") + 86400 )) > "$T/clock"
send $B4 > /dev/null 2> "$T/s3.err" || fail "still refused the next day: $(cat "$T/s3.err")"
grep -q "org=ggz-mondriaan purpose=notification requests=5 evaluations=3 refused=2 budget_per_day=3 spent_today=3 partial=no" "$T/pd-data/audit.log" \
    || fail "audit log: $(cat "$T/pd-data/audit.log")"
grep -q "org=vt-zuid-limburg purpose=receive .* budget_per_day=100 " "$T/pd-data/audit.log" || fail "vt's budget"
echo ok
