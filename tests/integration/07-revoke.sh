#!/usr/bin/env bash
# 07: revoking an organisation while the broker runs: it is cut off and refused from then on,
# the revocation is audited, and the others keep working.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_org school-de-linde onderwijs
for org in ggz-mondriaan vt-zuid-limburg school-de-linde; do vn_agent_start $org; done
"$VANGNET" org revoke --data "$T/broker-data" school-de-linde | grep -q revoked
"$VANGNET" org list --data "$T/broker-data" | grep school-de-linde | grep -q revoked
wait_for "grep -q 'event=revoked' '$T/school-de-linde.log'"
echo x > "$T/m.txt"
set +e
"$VANGNET" send --agent "$(api school-de-linde)" --to vt-zuid-limburg --subject $BSN \
    $MELD --file "$T/m.txt" --wait 2 2>"$T/e"; rc=$?
set -e
[ $rc -ne 0 ] || fail "revoked organisation could still send"
# A raw peer with the revoked key is not even admitted.
set +e
out=$("$VN_RAWPEER" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" \
      --keys "$T/keys/school-de-linde.secret" --to "$T/keys/vt-zuid-limburg.public")
set -e
[ "$out" = "no-reply" ] || fail "revoked key admitted: $out"
grep -q "reason=revoked" "$T/broker.log" || fail "revoked key not refused at authentication"
# Nobody can send to it any more, and the others still work.
set +e
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to school-de-linde --subject $BSN \
    $MELD --file "$T/m.txt" 2>/dev/null; rc=$?
set -e
[ $rc -eq 5 ] || fail "sending to a revoked organisation: rc=$rc"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN \
    $MELD --file "$T/m.txt" | grep -q '^accepted' || fail "others broken"
audit_grep -q "ORG_REVOKED .*to=school-de-linde" || fail "not audited"
echo "07-revoke: ok"
