#!/usr/bin/env bash
# 52: a signal's lifetime at the broker: it becomes inactive at active_until (audited; still
# matched and listed to a newcomer, its owner no longer told) and is deleted five years after its
# signal date (audited, gone from every index and match). The broker's clock for signal lifetimes
# is shifted with VANGNET_TEST_CLOCK_OFFSET (tests only; it says so in its log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/brokersig.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org school-de-linde onderwijs
vn_org wijkteam-heerlen wijkteam

# Active for three more seconds only.
old=$(peer ggz-mondriaan add --youth kind --parent moeder --days-ago 700 --active-seconds 3 | sid)
[ -n "$old" ] || fail "not registered"
wait_for "audit_grep -q 'SIGNAL_INACTIVE actor=broker to=ggz-mondriaan .*signal=$old '" 10
# A newcomer: matched with the inactive signal, told of it; the inactive owner is not told.
s=$(peer school-de-linde add --youth kind --category schoolverzuim | sid)
out=$(peer school-de-linde notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"yours=$s "*"coordinator=-"*"ggz-mondriaan/ggz/$old/zorg-ouder/inactive"* ||
   $out == *"notice event=match "*"yours=$s "*"coordinator=-"*"ggz-mondriaan/ggz/$old/huiselijk-geweld/inactive"* ]] || fail "newcomer not told of the inactive signal: $out"
m=$(mid <<<"$out")
peer ggz-mondriaan notices --wait 2 | grep -q "notices=0" || fail "the inactive signal's owner was told"
# A third, active, care organisation joins: it coordinates (the inactive owner cannot).
w=$(peer wijkteam-heerlen add --youth kind | sid)
out=$(peer school-de-linde notices --count 1 --wait 5)
[[ $out == *"notice event=new-signal "*"match $m "*"coordinator=wijkteam-heerlen"* ]] || fail "school not told: $out"
peer ggz-mondriaan notices --wait 2 | grep -q "notices=0" || fail "the inactive owner was told of the new signal"
peer ggz-mondriaan list | grep -q "^signal $old " || fail "inactive signal not listed to its owner"

# Five years on: deleted, out of the match, its record gone; the audit trail stays.
vn_broker_kill
VANGNET_TEST_CLOCK_OFFSET=$((5 * 366 * 86400)) vn_broker_start
grep -q "event=test-clock-offset" "$T/broker.log" || fail "the shifted clock is not announced"
wait_for "audit_grep -q 'SIGNAL_DELETED actor=broker to=ggz-mondriaan .*signal=$old '" 10
wait_for "audit_grep -q 'SIGNAL_DELETED actor=broker to=school-de-linde .*signal=$s '" 10
wait_for "audit_grep -q 'SIGNAL_DELETED actor=broker to=wijkteam-heerlen .*signal=$w '" 10
peer ggz-mondriaan list | grep -q "^signal " && fail "a deleted signal is still listed"
refused not-in-match peer wijkteam-heerlen show "$m"
audit_grep -q "SIGNAL_REGISTERED actor=ggz-mondriaan .*signal=$old " || fail "the registration record is gone"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit log does not verify"
echo "ok 52-signal-lifetime"
