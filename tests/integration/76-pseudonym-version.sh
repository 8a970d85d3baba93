#!/usr/bin/env bash
# 76: pseudonym versions on the wire and the migration from v1. Envelopes say how their subject's
# pseudonym was made and the broker records it; an agent holding both the network key and a
# pseudonym service sends only v2 (the broker's log gains no v1 pseudonym), and still takes v1
# deliveries from a sender not migrated yet; the privacy officer finds a child's records under
# either pseudonym; after [pseudonyms] refuse_v1_after the broker refuses v1 pseudonyms (in
# notifications, signals and consents).
VN_PSEUDONYMS=own # this test starts the pseudonym service itself
tomorrow=$(date -u -d tomorrow +%F) yesterday=$(date -u -d yesterday +%F)
VN_BROKER_EXTRA=$'[pseudonyms]\nrefuse_v1_after = '"$tomorrow"
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
"$VANGNET" keygen --org privacy-office --sector broker --out "$T/keys" >/dev/null
cp "$T/keys/privacy-office.public" "$T/pd-clients/"
vn_pseudonymd_start
echo "synthetisch" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api "$1")" --to "$2" --subject $BSN $3 --wait 10 --file "$T/m.txt"; }
disclosures() { grep -c " ACCEPTED \| DELIVERED " "$1"; } # not the audited reads of the queries
v1_records() { # disclosures the broker holds under the child's v1 pseudonym
    "$VANGNET" audit query --data "$T/broker-data" --bsn $BSN --pseudonym-key "$T/keys/pseudonym.key" \
        > "$T/v1.out" 2> "$T/v1.err" || true
    disclosures "$T/v1.out"
}

# 1. Before the transition: both agencies on v1 (the network key, no pseudonym service).
ep=$PSEUDONYMD_EP
PSEUDONYMD_EP= vn_agent_start ggz-mondriaan
PSEUDONYMD_EP= vn_agent_start vt-zuid-limburg
send ggz-mondriaan vt-zuid-limburg "$MELD" > /dev/null || fail "v1 send before the date"
wait_for "audit_grep -q 'DELIVERED .*pseudonym=v1'"
audit_grep -q "ACCEPTED .*actor=ggz-mondriaan.*pseudonym=v1" || fail "version not recorded: $(cat "$T/audit.txt")"
old=$(v1_records)
[ "$old" -ge 2 ] || fail "v1 records: $old"

# 2. The transition: ggz keeps the network key beside the pseudonym service; it sends v2 only.
vn_agent_kill ggz-mondriaan
PSEUDONYMD_EP=$ep VN_KEEP_V1_KEY=1 vn_agent_start ggz-mondriaan
grep -q "^pseudonym_key = " "$T/ggz-mondriaan.conf" && grep -q "^\[pseudonymd\]" "$T/ggz-mondriaan.conf" \
    || fail "not both: $(cat "$T/ggz-mondriaan.conf")"
vn_agent_kill vt-zuid-limburg
PSEUDONYMD_EP=$ep VN_KEEP_V1_KEY=1 vn_agent_start vt-zuid-limburg
send ggz-mondriaan vt-zuid-limburg "$MELD" > /dev/null || fail "v2 send"
wait_for "audit_grep -q 'DELIVERED .*pseudonym=v2'"
audit_grep -q "ACCEPTED .*actor=ggz-mondriaan.*pseudonym=v2" || fail "v2 not recorded"
now=$(v1_records)
[ "$now" = "$old" ] || fail "new traffic under a v1 pseudonym ($old, now $now): $(cat "$T/v1.out" "$T/v1.err")"
# A sender not migrated yet (v1 only) still reaches vt, which checks its v1 pseudonym with the
# network key it keeps for the transition.
vn_org school-de-linde onderwijs
PSEUDONYMD_EP= vn_agent_start school-de-linde
"$VANGNET" send --agent "$(api school-de-linde)" --to vt-zuid-limburg --subject $BSN $MELD --wait 10 \
    --file "$T/m.txt" > /dev/null || fail "v1 sender during the transition"
wait_for "'$VANGNET' inbox --agent '$(api vt-zuid-limburg)' | grep -c 'subject:  bsn $BSN' | grep -qx 3" 20
! grep -q "event=delivery-rejected" "$T/vt-zuid-limburg.log" || fail "a v1 delivery rejected by vt: $(grep delivery-rejected "$T/vt-zuid-limburg.log")"

# 3. The privacy officer finds the child's records under either pseudonym in one report.
"$VANGNET" audit query --data "$T/broker-data" --bsn $BSN --service "$PSEUDONYMD_EP" \
    --service-public "$T/pd-keys/pseudonymd.public" --keys "$T/keys/privacy-office.secret" \
    > "$T/both.out" 2> "$T/both.err" || fail "query: $(cat "$T/both.err")"
both=$(disclosures "$T/both.out")
"$VANGNET" audit query --data "$T/broker-data" --bsn $BSN --service "$PSEUDONYMD_EP" \
    --service-public "$T/pd-keys/pseudonymd.public" --keys "$T/keys/privacy-office.secret" \
    --pseudonym-key "$T/keys/pseudonym.key" > "$T/all.out" 2> "$T/all.err" || fail "query: $(cat "$T/all.err")"
all=$(disclosures "$T/all.out")
v1now=$(v1_records)
[ "$both" -ge 2 ] && [ "$all" = $((both + v1now)) ] || fail "v2 $both + v1 $v1now != both $all"
grep -q "pseudonym=v1" "$T/all.out" && grep -q "pseudonym=v2" "$T/all.out" || fail "report: $(cat "$T/all.out")"

# 4. After the date: v1 pseudonyms are refused (code pseudonym-v1-retired, audited), v2 go on.
vn_broker_kill
sed -i "s/^refuse_v1_after = .*/refuse_v1_after = $yesterday/" "$T/broker.conf"
vn_broker_start
for o in ggz-mondriaan vt-zuid-limburg; do vn_agent_kill $o; PSEUDONYMD_EP=$ep VN_KEEP_V1_KEY=1 vn_agent_start $o; done
vn_agent_kill school-de-linde
PSEUDONYMD_EP= vn_agent_start school-de-linde
rc=0; "$VANGNET" send --agent "$(api school-de-linde)" --to vt-zuid-limburg --subject $BSN $MELD --wait 10 \
    --file "$T/m.txt" > "$T/r.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "v1 after the date not refused (exit $rc): $(cat "$T/r.out")"
grep -q "code=pseudonym-v1-retired" "$T/r.out" && grep -q "accepted until $yesterday" "$T/r.out" \
    || fail "unclear refusal: $(cat "$T/r.out")"
audit_grep -q "REFUSED .*actor=school-de-linde.*outcome=pseudonym-v1-retired" || fail "refusal not audited"
# An anonymous request has no pseudonym to refuse.
"$VANGNET" send --agent "$(api school-de-linde)" --to vt-zuid-limburg --anonymous --basis advies \
    --category advies --wait 10 --file "$T/m.txt" > "$T/anon.out" 2>&1 || true
! grep -q "pseudonym-v1-retired" "$T/anon.out" || fail "anonymous refused for its pseudonym"
send ggz-mondriaan vt-zuid-limburg "$MELD" > /dev/null || fail "v2 after the date"
# A v1 signal is refused the same way.
! "$VANGNET" signal add --agent "$(api school-de-linde)" --youth $BSN --category zorg-ouder --age 7 \
    --informed ouders --contact-name X --contact-phone 045-5550000 > "$T/sig.out" 2>&1 || fail "v1 signal after the date"
grep -q "pseudonym-v1-retired" "$T/sig.out" || fail "signal: $(cat "$T/sig.out")"
# So is a v1 consent; a v2 consent is registered and its audit record says v2.
! "$VANGNET" consent add --agent "$(api school-de-linde)" --subject $BSN --given-by client \
    --to vt-zuid-limburg --categories melding --purpose zorgcoordinatie --days 30 > "$T/c1.out" 2>&1 || fail "v1 consent after the date"
grep -q "pseudonym-v1-retired" "$T/c1.out" || fail "consent: $(cat "$T/c1.out")"
"$VANGNET" consent add --agent "$(api ggz-mondriaan)" --subject $BSN --given-by client \
    --to vt-zuid-limburg --categories melding --purpose zorgcoordinatie --days 30 > "$T/c2.out" 2>&1 || fail "v2 consent: $(cat "$T/c2.out")"
wait_for "audit_grep -q 'CONSENT_ADDED .*actor=ggz-mondriaan.*pseudonym=v2'"
! audit_grep -q "CONSENT_ADDED .*actor=school-de-linde" || fail "the refused consent was stored"
echo ok
