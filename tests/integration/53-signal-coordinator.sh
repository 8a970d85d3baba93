#!/usr/bin/env bash
# 53: coordinators by the covenant rules at the broker: signalling-only sectors (school, police)
# never coordinate; the first sector in [coordination] order does, ties by the earliest signal;
# the coordinator hands over to a participant that may coordinate and that one accepts; an
# accepted handover holds when others join; participants mark the match agreed; every step reaches
# all participants and the audit log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/brokersig.sh"
vn_setup
vn_broker_start
vn_org school-de-linde onderwijs
vn_org politie-limburg politie
vn_org ggz-mondriaan ggz
vn_org ggz-virenze ggz
vn_org wijkteam-heerlen wijkteam
vn_org jeugdhulp-limburg jeugdhulp
drain() { for org in "$@"; do peer "$org" notices --wait 1 >/dev/null; done; }

peer school-de-linde add --youth kind >/dev/null
out=$(peer politie-limburg add --youth kind --category criminaliteit | sid)
out=$(peer politie-limburg notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"coordinator=- "* ]] || fail "a school or police coordinates: $out"
m=$(mid <<<"$out")
# Two GGZ signals: the earlier signal date coordinates, though registered later.
peer ggz-virenze add --youth kind --days-ago 3 >/dev/null
peer ggz-mondriaan add --youth kind --days-ago 10 >/dev/null
out=$(peer ggz-virenze notices --wait 3)
[[ $out == *"match $m kind=client coordinator=ggz-mondriaan"* ]] || fail "earliest signal does not coordinate: $out"
audit_grep -q "COORDINATOR_ASSIGNED actor=broker to=ggz-mondriaan .*match=$m .*reason=\"covenant rules\"" || fail "assignment not audited"
drain school-de-linde politie-limburg ggz-mondriaan

# Handover: only the coordinator, only to a participant that may coordinate.
refused not-coordinator peer ggz-virenze handover "$m" ggz-virenze
refused may-not-coordinate peer ggz-mondriaan handover "$m" school-de-linde
refused not-in-match peer ggz-mondriaan handover "$m" wijkteam-heerlen
refused not-in-match peer wijkteam-heerlen agree "$m"
peer ggz-mondriaan handover "$m" ggz-virenze | grep -q "handover_to=ggz-virenze" || fail "handover"
out=$(peer ggz-virenze notices --count 1 --wait 5)
[[ $out == *"notice event=handover-offered "*"coordinator=ggz-mondriaan handover_to=ggz-virenze"* ]] || fail "not offered: $out"
audit_grep -q "HANDOVER_OFFERED actor=ggz-mondriaan to=ggz-virenze .*match=$m" || fail "offer not audited"
refused no-handover-offered peer school-de-linde accept "$m"
peer ggz-virenze accept "$m" | grep -q "coordinator=ggz-virenze" || fail "accept"
# (the others were told of the offer too: they read both notices)
for org in school-de-linde politie-limburg ggz-mondriaan ggz-virenze; do
    out=$(peer $org notices --wait 3)
    [[ $out == *"notice event=coordinator "*"match $m kind=client coordinator=ggz-virenze"* ]] || fail "$org not told of the new coordinator: $out"
done
audit_grep -q "COORDINATOR_ASSIGNED actor=ggz-virenze to=ggz-virenze .*match=$m .*reason=\"handover accepted\"" || fail "accept not audited"

# A sector earlier in the order joins: the accepted handover holds.
peer jeugdhulp-limburg add --youth kind >/dev/null
out=$(peer jeugdhulp-limburg notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"coordinator=ggz-virenze"* ]] || fail "handover overridden: $out"
drain school-de-linde politie-limburg ggz-mondriaan ggz-virenze

# Agreed ("afgestemd"): everyone told once.
peer school-de-linde agree "$m" | grep -q "agreed=1" || fail "agree"
for org in school-de-linde politie-limburg ggz-mondriaan ggz-virenze jeugdhulp-limburg; do
    out=$(peer $org notices --wait 2)
    [[ $out == *"notice event=agreed "*"agreed=1"* && $out == *"notices=1"* ]] || fail "$org not told once of the agreement: $out"
done
audit_grep -q "MATCH_AGREED actor=school-de-linde .*match=$m" || fail "agreement not audited"
peer jeugdhulp-limburg agree "$m" >/dev/null
peer jeugdhulp-limburg notices --wait 1 | grep -q "notices=0" || fail "agreeing twice notified again"
# A new signal: the plan is to be agreed again.
peer wijkteam-heerlen add --youth kind >/dev/null
peer wijkteam-heerlen show "$m" | grep -q "agreed=0" || fail "agreement kept after a new participant"
echo "ok 53-signal-coordinator"
