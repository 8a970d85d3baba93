#!/usr/bin/env bash
# 50: signals and client matches at the broker: a signal alone is no match; a second organisation's
# signal on the same youth makes one, and both are told (durably: a notice waits while its
# recipient is away and comes after its Hello, once acked it is gone); a third joins and the others
# hear of the new signal; lists show only the caller's own; every step is in the audit log, with
# pseudonyms and organisation ids only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/brokersig.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org school-de-linde onderwijs
vn_org wijkteam-heerlen wijkteam

# One signal: no match, nobody told.
s1=$(peer ggz-mondriaan add --youth kind-a --parent moeder --category zorg-ouder --age 7 | sid)
[ -n "$s1" ] || fail "first signal not registered"
out=$(peer ggz-mondriaan notices --wait 1)
[[ $out == *"notices=0"* ]] || fail "a single signal made a notice: $out"
[[ $out == *"vocabulary verified=1 name=vangnet-begrippen revision=1"* ]] || fail "no signed vocabulary after Hello: $out"
peer ggz-mondriaan matches | grep -q '^match ' && fail "a single signal is listed as a match"

# The school registers on the same youth: a client match, both told.
s2=$(peer school-de-linde add --youth kind-a --category schoolverzuim --age 7 | sid)
[ -n "$s2" ] || fail "second signal not registered"
out=$(peer school-de-linde notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"yours=$s2 "*"kind=client"*"ggz-mondriaan/ggz/$s1/zorg-ouder/active"* ]] || fail "newcomer not told: $out"
mid=$(sed -n 's/.*notice event=match .* match \(M[0-9a-f]*\) .*/\1/p' <<<"$out")
[ -n "$mid" ] || fail "no match id in: $out"
# The first organisation was away: its notice waits and comes after its Hello; unacked it comes again.
out=$(peer ggz-mondriaan notices --count 1 --wait 5 --no-ack)
[[ $out == *"notice event=match "*"yours=$s1 "*"match $mid kind=client"*"school-de-linde/onderwijs/$s2/schoolverzuim/active"* ]] || fail "first org not told: $out"
out=$(peer ggz-mondriaan notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"match $mid"* ]] || fail "unacked notice not resent after Hello: $out"
out=$(peer ggz-mondriaan notices --wait 1)
[[ $out == *"notices=0"* ]] || fail "acked notice came again: $out"

# A third signal joins: the newcomer gets "match", the others "new-signal".
s3=$(peer wijkteam-heerlen add --youth kind-a --category huiselijk-geweld --age 7 | sid)
out=$(peer wijkteam-heerlen notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"match $mid "* ]] || fail "third not told of the match: $out"
for org in ggz-mondriaan school-de-linde; do
    out=$(peer $org notices --count 1 --wait 5)
    [[ $out == *"notice event=new-signal "*"match $mid "*"wijkteam-heerlen/wijkteam/$s3/"* ]] || fail "$org not told of the new signal: $out"
done
# Listing: matches for participants only, signals for their owner only.
peer school-de-linde matches | grep -q "^match $mid kind=client" || fail "match not listed"
peer school-de-linde show "$mid" | grep -q "^match $mid" || fail "match not shown"
vn_org politie-limburg politie
set +e
out=$(peer politie-limburg show "$mid"); rc=$?
set -e
[ $rc -eq 3 ] && [[ $out == *code=not-in-match* ]] || fail "a non-participant saw the match: $rc $out"
peer ggz-mondriaan list | grep -q "^signal $s1 owner=ggz-mondriaan" || fail "own signal not listed"
peer ggz-mondriaan list | grep -q "$s2" && fail "another organisation's signal listed"
peer school-de-linde list --youth kind-a | grep -c '^signal ' | grep -qx 1 || fail "list by youth shows others' signals"

# Audit: registrations and one MATCH_NOTIFIED per notice, with pseudonyms and ids only.
audit_grep -q "SIGNAL_REGISTERED actor=school-de-linde user=sigpeer-user .*signal-date=.*informed=ouders.*category=schoolverzuim signal=$s2 subject=" || fail "registration not audited"
audit_grep -q "MATCH_NOTIFIED actor=broker to=school-de-linde .*event=match participants=ggz-mondriaan .*match=$mid" || fail "notice not audited"
audit_grep -q "MATCH_NOTIFIED actor=broker to=ggz-mondriaan .*event=new-signal .*match=$mid" || fail "new-signal notice not audited"
n=$(audit_grep -c "MATCH_NOTIFIED .*match=$mid")
[ "$n" -eq 5 ] || fail "expected 5 MATCH_NOTIFIED records, found $n"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q "intact" || fail "audit log does not verify"
echo "ok 50-signal-client-match"
