#!/usr/bin/env bash
# 51: family matches at the broker: signals on different youths sharing a parent match; a signal
# naming the other parent of a matched youth joins them; withdrawing the signal that bridged two
# families splits the match (everyone told); a withdrawn signal matches no newcomer; only the owner
# can withdraw; audited.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/brokersig.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org school-de-linde onderwijs
vn_org wijkteam-heerlen wijkteam
vn_org jeugdhulp-limburg jeugdhulp

# GGZ treats the mother and signals on her son; the school signals on her daughter naming her.
g=$(peer ggz-mondriaan add --youth zoon --parent moeder --age 12 --informed ouders,jongere | sid)
s=$(peer school-de-linde add --youth dochter --parent moeder --parent vader --category schoolverzuim | sid)
out=$(peer school-de-linde notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"yours=$s "*"kind=family"*"ggz-mondriaan/ggz/$g/"* ]] || fail "family match not told: $out"
m=$(mid <<<"$out")
out=$(peer ggz-mondriaan notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"yours=$g match $m kind=family"* ]] || fail "ggz not told: $out"

# A youth-care signal on a third child naming only the father joins the same family.
j=$(peer jeugdhulp-limburg add --youth stiefzoon --parent vader --age 16 --informed jongere | sid)
out=$(peer jeugdhulp-limburg notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"yours=$j match $m kind=family coordinator=jeugdhulp-limburg"* ]] || fail "father's child not matched: $out"
for org in ggz-mondriaan school-de-linde; do
    out=$(peer $org notices --count 1 --wait 5)
    [[ $out == *"notice event=new-signal "*"match $m "*"jeugdhulp-limburg/jeugdhulp/$j/"* ]] || fail "$org not told: $out"
done

# Only the owner withdraws; to anyone else the signal does not exist.
refused signal-unknown peer wijkteam-heerlen withdraw "$s"
# The school's signal bridged mother and father: withdrawn, the match splits and all are told.
peer school-de-linde withdraw "$s" | grep -q "^signal $s .*withdrawn=[1-9]" || fail "withdraw"
for org in ggz-mondriaan jeugdhulp-limburg; do
    out=$(peer $org notices --count 1 --wait 5)
    [[ $out == *"notice event=signal-withdrawn "* ]] || fail "$org not told of the withdrawal: $out"
    [[ $out != *"school-de-linde"* ]] || fail "the withdrawn signal is still listed to $org: $out"
done
peer school-de-linde notices --wait 1 | grep -q "notices=0" || fail "the withdrawing school was notified"
peer school-de-linde list | grep -q "^signal $s .*withdrawn=[1-9]" || fail "withdrawn signal not listed to its owner"
refused not-in-match peer school-de-linde show "$m"

# A newcomer on the daughter (whose only signal was withdrawn) finds nobody.
w=$(peer wijkteam-heerlen add --youth dochter --parent tante --category huiselijk-geweld | sid)
peer wijkteam-heerlen notices --wait 2 | grep -q "notices=0" || fail "matched a withdrawn signal"
# A newcomer naming the mother finds the GGZ again: a family match of its own.
w2=$(peer wijkteam-heerlen add --youth dochter2 --parent moeder | sid)
out=$(peer wijkteam-heerlen notices --count 1 --wait 5)
[[ $out == *"notice event=match "*"yours=$w2 "*"ggz-mondriaan/ggz/$g/"* ]] || fail "mother's match: $out"
[[ $out != *"jeugdhulp-limburg"* ]] || fail "the father's side is still linked: $out"

audit_grep -q "SIGNAL_WITHDRAWN actor=school-de-linde .*signal=$s " || fail "withdrawal not audited"
audit_grep -q "MATCH_NOTIFIED actor=broker to=jeugdhulp-limburg .*event=signal-withdrawn" || fail "split notice not audited"
audit_grep "SIGNAL_REGISTERED .*signal=$s " | grep -q "related=" || fail "parents not in the registration record"
echo "ok 51-signal-family-match (w=$w)"
