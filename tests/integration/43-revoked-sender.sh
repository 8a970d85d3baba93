#!/usr/bin/env bash
# 43: an organisation revoked while its notifications still wait in the broker's queue: they are
# withheld (audited WITHHELD sender-revoked), not delivered as if nothing happened.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
echo "synthetic: zorgen" > "$T/m.txt"
vn_agent_kill vt-zuid-limburg
out=$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
      --file "$T/m.txt") || fail "send: $out"
id=$(echo "$out" | sed -n 's/^accepted message=\([0-9a-f]*\).*/\1/p')
"$VANGNET" org revoke --data "$T/broker-data" ggz-mondriaan > /dev/null
wait_for "grep -q 'event=revoked' '$T/ggz-mondriaan.log'"
vn_agent_start vt-zuid-limburg
wait_for "audit_grep -q 'WITHHELD .*msg=$id .*outcome=sender-revoked'" 20
audit_grep -q "DELIVERED .*msg=$id" && fail "delivered after the sender was revoked"
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --json > "$T/vt.json"
inbox_each "$T/vt.json" 'i["messageId"]' | grep -qx "$id" && fail "in the recipient's inbox: $(cat "$T/vt.json")"
# The sender's agent knows it is revoked, and says so.
set +e
"$VANGNET" status --agent "$(api ggz-mondriaan)" > "$T/st"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "revoked=yes" "$T/st" || fail "revoked status: rc=$rc $(cat "$T/st")"
echo "43-revoked-sender: ok"
