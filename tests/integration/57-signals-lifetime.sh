#!/usr/bin/env bash
# 57: a signal's lifetime decides what it matches: a withdrawn signal matches nothing; an inactive
# one (past its active period) still matches a newcomer, but its owner is not told; a deleted one
# (past the retention period, shortened here) is gone from the store and matches nothing. The
# broker runs on a shifted clock (VANGNET_TEST_CLOCK_OFFSET) so years pass in seconds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/siglib.sh"
vn_setup
policy_with 's/^retention-days = .*/retention-days = 731/'
vn_broker_start
sed -i "s|^endpoint = .*|endpoint = $BROKER_EP|" "$T/broker.conf"   # the same port after restarts
for o in ggz-mondriaan:ggz school-de-linde:onderwijs wijkteam-heerlen:wijkteam jeugdhulp-xonar:jeugdhulp; do
    vn_org "${o%%:*}" "${o##*:}"
done
for org in ggz-mondriaan school-de-linde wijkteam-heerlen jeugdhulp-xonar; do vn_agent_start $org; done
DAY=86400 NOW=$(date +%s)

# 1. Withdrawn: the GGZ's signal leaves; the school's later signal on the same child finds nobody.
w=$(sig_add ggz-mondriaan 234567892 zorg-ouder 7 --informed ouders)
"$VANGNET" signal withdraw --agent "$(api ggz-mondriaan)" "$w" | grep -q "signal $w  WITHDRAWN" || fail "withdraw"
sig_add school-de-linde 234567892 schoolverzuim 7 --informed ouders > /dev/null
sleep 2
inbox_json school-de-linde
json_check school-de-linde "not notices" || fail "a withdrawn signal matched"
inbox_json ggz-mondriaan
json_check ggz-mondriaan "not notices" || fail "the withdrawn signal's owner was told"
audit_grep -q "SIGNAL_WITHDRAWN actor=ggz-mondriaan .*signal=$w" || fail "withdrawal not audited"
set +e
"$VANGNET" signal withdraw --agent "$(api school-de-linde)" "$w" 2>"$T/e"; rc=$?
set -e
[ $rc -eq 3 ] || fail "another organisation withdrew a signal: $rc $(cat "$T/e")"

# 2. Old signals: one registered 729 days ago (inactive in a day, deleted in two), one 729 days
# ago on another child (for the deletion).
old=$(sig_add wijkteam-heerlen 345678904 huiselijk-geweld 9 --informed ouders --date @$((NOW - 729 * DAY)))
gone=$(sig_add wijkteam-heerlen 456789017 huiselijk-geweld 9 --informed ouders --date @$((NOW - 729 * DAY)))
[ -n "$old" ] && [ -n "$gone" ] || fail "old signals not registered"

# 3. A day and a half later: both inactive, not yet deleted. A newcomer on the first child is
# matched with the inactive signal and told; the inactive signal's owner is not.
vn_broker_kill
VANGNET_TEST_CLOCK_OFFSET=$((3 * DAY / 2)) vn_broker_start
wait_for "audit_grep -q 'SIGNAL_INACTIVE .*signal=$old'"
wait_for "audit_grep -q 'SIGNAL_INACTIVE .*signal=$gone'"
wait_for "'$VANGNET' status --agent $(api jeugdhulp-xonar) | grep -q connected=yes"
wait_for "'$VANGNET' status --agent $(api wijkteam-heerlen) | grep -q connected=yes"
new=$(sig_add jeugdhulp-xonar 345678904 verwaarlozing 9 --informed ouders)
[ -n "$new" ] || fail "newcomer not registered"
wait_inbox jeugdhulp-xonar "any(any(p['org'] == 'wijkteam-heerlen' and p['signalId'] == '$old' and not p['active']
    for p in n['matchNotice']['match']['participants']) for n in notices)"
sleep 2
inbox_json wijkteam-heerlen
json_check wijkteam-heerlen "not notices and not cards" || fail "the inactive signal's owner was told"
# It is still listed to its owner (inactive), and matched.
"$VANGNET" signal list --agent "$(api wijkteam-heerlen)" --json | python3 -c "
import json,sys; s={x['id']: x for x in json.load(sys.stdin)['items']}; assert '$old' in s and '$gone' in s, s" || fail "inactive not listed"

# 4. Three days on: past the (shortened) retention, both deleted; nothing matches the second child.
vn_broker_kill
VANGNET_TEST_CLOCK_OFFSET=$((3 * DAY)) vn_broker_start
wait_for "audit_grep -q 'SIGNAL_DELETED .*signal=$gone'"
wait_for "'$VANGNET' status --agent $(api school-de-linde) | grep -q connected=yes"
ack_all school-de-linde
sig_add school-de-linde 456789017 schoolverzuim 9 --informed ouders > /dev/null
sleep 2
inbox_json school-de-linde
json_check school-de-linde "not notices" || fail "a deleted signal matched"
"$VANGNET" signal list --agent "$(api wijkteam-heerlen)" --json | python3 -c "
import json,sys; s=[x['id'] for x in json.load(sys.stdin)['items']]; assert '$gone' not in s, s" || fail "deleted signal still listed"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo ok
