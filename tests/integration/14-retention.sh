#!/usr/bin/env bash
# 14: retention: records past the retention period lose their detail (and index entries) but keep
# their leaf in the tree, so the log and every signed checkpoint still verify; the legal minimum of
# five years is enforced unless explicitly overridden; the broker keeps signing consistent
# checkpoints afterwards, and the pruning itself is logged.
# The art. 15 report by BSN still needs the network key (v1): docs/pseudonyms.md, not done.
VN_PSEUDONYMS=v1
. "$(dirname "$0")/lib.sh"
vn_setup_pair
echo "synthetisch" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD --file "$T/m.txt"; }
send >/dev/null; send >/dev/null
wait_for "audit_grep -c DELIVERED | grep -qx 2"
tomorrow=$(date -u -d tomorrow +%F)
set +e
"$VANGNET" audit prune --data "$T/broker-data" --before "$tomorrow" --keep-years 1 2>"$T/e"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "at least 5 years" "$T/e" || fail "legal minimum not enforced: $rc"
"$VANGNET" audit prune --data "$T/broker-data" --before "$tomorrow" | grep -q "pruned the detail of 0 records" \
    || fail "pruned records younger than five years"
out=$("$VANGNET" audit prune --data "$T/broker-data" --before "$tomorrow" --keep-years 0 --below-legal-minimum)
n=$(sed -n 's/^pruned the detail of \([0-9]*\) records.*/\1/p' <<<"$out")
[ "$n" -ge 6 ] || fail "nothing pruned: $out"
"$VANGNET" audit verify --data "$T/broker-data" --broker-public "$T/keys/broker.public" >"$T/v.txt"
grep -q "intact: .* ($n pruned);.*carry the broker's signature" "$T/v.txt" || fail "verify after pruning: $(cat "$T/v.txt")"
audit_grep -q "ACCEPTED    (detail pruned after the retention period)" || fail "stub not shown"
! audit_grep -q "basis=meldrecht" || fail "detail still present"
"$VANGNET" audit query --data "$T/broker-data" --bsn $BSN --pseudonym-key "$T/keys/pseudonym.key" 2>"$T/q" >/dev/null
grep -q "^0 records matched" "$T/q" || fail "index entries kept: $(cat "$T/q")"
audit_grep -q "AUDIT_READ .*command=prune filter=before=" || fail "pruning not logged"
# Life goes on: new disclosures, new checkpoints, still consistent for the agent.
send | grep -q '^accepted' || fail "send after pruning"
"$VANGNET" audit verify --data "$T/broker-data" --broker-public "$T/keys/broker.public" | grep -q intact || fail "verify after new records"
"$VANGNET" status --agent "$(api ggz-mondriaan)" | grep -q "audit-log=consistent" || fail "agent saw inconsistency"
echo "14-retention: ok"
