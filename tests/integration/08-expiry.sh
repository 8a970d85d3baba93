#!/usr/bin/env bash
# 08: a message not delivered before it expires is dropped with an EXPIRED record, the sender's
# agent is told (a notice in its inbox), and the recipient never gets it.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
vn_agent_kill vt-zuid-limburg
echo "Synthetisch: verloopt." > "$T/m.txt"
out=$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN \
      $MELD --expires-in 2 --file "$T/m.txt")
[[ $out =~ message=([0-9a-f]{32}) ]] || fail "not accepted: $out"
msgid=${BASH_REMATCH[1]}
notice=$("$VANGNET" inbox --agent "$(api ggz-mondriaan)" --wait 15)
echo "$notice"
[[ $notice == *"about message $msgid: expired for vt-zuid-limburg"* ]] || fail "sender not told"
audit_grep -q "EXPIRED .*to=vt-zuid-limburg.*msg=$msgid.*outcome=expired" \
    || fail "no EXPIRED record"
vn_agent_start vt-zuid-limburg
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 2 | grep -q "inbox empty" || fail "expired message delivered"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "08-expiry: ok"
