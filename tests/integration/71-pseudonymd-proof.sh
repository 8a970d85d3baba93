#!/usr/bin/env bash
# 71: the agent trusts only the pseudonym service's pinned VOPRF key: a service evaluating under
# another key (or anyone in its place) is refused on its proof, and nothing reaches the broker;
# an organisation the service does not know is refused at its ZAP handshake, its submit held in
# the outbox until the service admits it.
VN_PSEUDONYMS=own # this test starts the pseudonym service itself
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_org school-de-linde onderwijs
rm "$T/pd-clients/school-de-linde.public" # registered at the broker, not at the service
vn_pseudonymd_start
# ggz pins a public file with the service's transport key but another VOPRF key: what an agent
# sees when the key holder evaluates under a key other than the published one.
mkdir -p "$T/other"
"$PSEUDONYMD_BIN" --keygen "$T/other" >/dev/null
other_pk=$(sed -n 's/^oprf_public = //p' "$T/other/pseudonymd.public")
sed "s/^oprf_public = .*/oprf_public = $other_pk/" "$T/pd-keys/pseudonymd.public" > "$T/forged.public"
VN_PSEUDONYMD_PUBLIC="$T/forged.public" vn_agent_start ggz-mondriaan
VN_PSEUDONYMD_CLIENT_EXTRA="timeout_ms = 1500" vn_agent_start school-de-linde
vn_agent_start vt-zuid-limburg
echo "synthetisch" > "$T/m.txt"

# 1. A wrong proof: refused with a clear code, nothing queued, nothing at the broker.
! "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD --wait 5 \
    --file "$T/m.txt" > "$T/s1.out" 2> "$T/s1.err" || fail "sent with an unverified pseudonym"
grep -q "pseudonym-unverified" "$T/s1.err" || fail "no clear code: $(cat "$T/s1.err" "$T/s1.out")"
grep -q "proof does not verify under its pinned public key" "$T/s1.err" || fail "no reason: $(cat "$T/s1.err")"
grep -q "event=pseudonym-proof-refused" "$T/ggz-mondriaan.log" || fail "not logged"
! "$VANGNET" signal add --agent "$(api ggz-mondriaan)" --youth $BSN --category zorg-ouder --age 7 \
    --informed ouders --contact-name X --contact-phone 045-5550000 > /dev/null 2> "$T/s2.err" || fail "signal with an unverified pseudonym"
grep -q "pseudonym-unverified" "$T/s2.err" || fail "signal: $(cat "$T/s2.err")"
"$VANGNET" status --agent "$(api ggz-mondriaan)" > "$T/status.txt"
grep -q "outbox=0" "$T/status.txt" || fail "something was queued: $(cat "$T/status.txt")"
! audit_grep -q "actor=ggz-mondriaan" || fail "the broker heard from ggz: $(cat "$T/audit.txt")"

# 2. The same service, the right pinned key: vt gets its pseudonym and sends.
"$VANGNET" send --agent "$(api vt-zuid-limburg)" --to ggz-mondriaan --subject $BSN --basis conflict-van-plichten \
    --category zorgsignaal --noodzaak "acuut gevaar" --wait 5 --file "$T/m.txt" > /dev/null 2> "$T/s3.err" || true
! grep -q "pseudonym-" "$T/s3.err" || fail "the right key refused: $(cat "$T/s3.err")"

# 3. An organisation the service does not know: its handshake is refused; the submit is held
#    (queued, pseudonym-unavailable), never sent without a pseudonym.
rc=0; "$VANGNET" send --agent "$(api school-de-linde)" --to vt-zuid-limburg --subject $BSN $MELD --wait 5 \
    --file "$T/m.txt" > "$T/s4.out" 2>&1 || rc=$?
[ "$rc" = 4 ] && grep -q "code=pseudonym-unavailable" "$T/s4.out" || fail "unregistered (exit $rc): $(cat "$T/s4.out")"
held_id=$(sed -n 's/^queued message=\([0-9a-f]*\).*/\1/p' "$T/s4.out")
grep -q "event=auth-refused .*reason=unregistered" "$T/pseudonymd.log" || fail "not refused at ZAP: $(cat "$T/pseudonymd.log")"
! audit_grep -q "actor=school-de-linde" || fail "sent without a pseudonym: $(cat "$T/audit.txt")"
# Registered at the service (its .public file added): the held submit goes by itself.
cp "$T/keys/school-de-linde.public" "$T/pd-clients/"
"$VANGNET" outcome --agent "$(api school-de-linde)" --id "$held_id" --wait 30 > "$T/s5.out" 2>&1 \
    || fail "still held once registered: $(cat "$T/s5.out")"
grep -q "^accepted message=$held_id" "$T/s5.out" || fail "outcome: $(cat "$T/s5.out")"
echo ok
