#!/usr/bin/env bash
# 74: a parent's access request (art. 15 GDPR) without the network key: the broker's privacy
# officer obtains the one pseudonym from the pseudonym service under a registered identity of its
# own, with a small budget and the purpose art15 recorded there, and gets the report from the
# broker's store; a wrong service key is refused; over that budget the look-up is refused.
VN_PSEUDONYMS=own # this test starts the pseudonym service itself
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
# The privacy officer's identity: registered at the pseudonym service only, budget 2 a day.
"$VANGNET" keygen --org privacy-office --sector broker --out "$T/keys" >/dev/null
cp "$T/keys/privacy-office.public" "$T/pd-clients/"
VN_PSEUDONYMD_BUDGETS="privacy-office = 2" vn_pseudonymd_start
vn_agent_start ggz-mondriaan
vn_agent_start vt-zuid-limburg
echo "synthetisch" > "$T/m.txt"
for _ in 1 2; do
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD --wait 10 \
        --user dr.bakker --role psychiater --file "$T/m.txt" > /dev/null || fail "send"
done
wait_for "audit_grep -c DELIVERED | grep -qx 2"
today=$(date -u +%F)
officer() { "$VANGNET" audit subject --data "$T/broker-data" --bsn "$1" --service "$PSEUDONYMD_EP" \
    --service-public "${2:-$T/pd-keys/pseudonymd.public}" --keys "$T/keys/privacy-office.secret" --out "$T/report.html"; }

# 1. The report, with the pseudonym from the service: both deliveries, no employee names.
officer $BSN 2> "$T/o1.err" || fail "art. 15 report: $(cat "$T/o1.err")"
grep -q "<h1>Overzicht van verstrekkingen over u</h1>" "$T/report.html" || fail "report"
[ "$(grep -c "ontvangen op / received $today" "$T/report.html")" -eq 2 ] || fail "deliveries in the report"
! grep -q "dr.bakker" "$T/report.html" || fail "employee name without --with-names"
# The same pseudonym the agents used: the network key (never used here) finds nothing.
"$VANGNET" audit query --data "$T/broker-data" --bsn $BSN --pseudonym-key "$T/keys/pseudonym.key" \
    > /dev/null 2> "$T/v1.err" || true
grep -q "^0 records matched" "$T/v1.err" || fail "v1 pseudonyms in the log: $(cat "$T/v1.err")"

# 2. A public file with another VOPRF key: the service's proof is refused, no report.
mkdir -p "$T/other" && "$PSEUDONYMD_BIN" --keygen "$T/other" >/dev/null
sed "s/^oprf_public = .*/$(grep '^oprf_public' "$T/other/pseudonymd.public")/" "$T/pd-keys/pseudonymd.public" > "$T/forged.public"
rm -f "$T/report.html"
! officer $BSN "$T/forged.public" 2> "$T/o2.err" || fail "report with an unverified pseudonym"
grep -q "proof does not verify" "$T/o2.err" || fail "forged: $(cat "$T/o2.err")"
[ ! -e "$T/report.html" ] || fail "a report was written"

# 3. The officer's own budget (2 a day) is spent: the third look-up is refused.
! officer 123456782 2> "$T/o3.err" || fail "over the officer's budget"
grep -q "over budget: privacy-office may have 2 evaluations per day" "$T/o3.err" || fail "budget: $(cat "$T/o3.err")"
vn_pseudonymd_kill TERM
grep -q "org=privacy-office purpose=art15 requests=3 evaluations=2 refused=1 budget_per_day=2" "$T/pd-data/audit.log" \
    || fail "art15 not in the service's audit log: $(cat "$T/pd-data/audit.log")"
echo ok
