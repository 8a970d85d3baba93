#!/usr/bin/env bash
# 03: forged sender, bad signature, changed ciphertext, unknown recipient, expired, oversized,
# malformed and multi-frame messages, unsupported version: each refused with its code and audited,
# a resent message id gets the original receipt, and the broker keeps serving a good agent.
. "$(dirname "$0")/lib.sh"
vn_setup
sed -i 's/^map_size_mb.*/&\nmax_envelope_kb = 64/' "$T/broker.conf"
vn_broker_start
vn_org wijkteam-heerlen wijkteam
vn_org vt-zuid-limburg veilig-thuis
vn_org school-de-linde onderwijs
vn_agent_start vt-zuid-limburg
"$VANGNET" keygen --org ghost-org --sector ggz --out "$T/keys" >/dev/null
K=$T/keys
raw() { "$VN_RAWPEER" --broker "$BROKER_EP" --broker-public "$K/broker.public" "$@" || true; }
expect() { # expect CODE OUTPUT
    [[ $2 == "refusal code=$1 "* ]] || fail "expected refusal $1, got: $2"
    seq=$(sed -n 's/.* seq=\([0-9]*\).*/\1/p' <<<"$2")
    audit_grep -E "^ *$seq .*REFUSED .*outcome=$1" >/dev/null \
        || fail "refusal $1 not audited as record $seq"
    echo "refused as expected: $1 (audit record $seq)"
}
to_vt="--to $K/vt-zuid-limburg.public"
# The school's connection, signed as the neighbourhood team: identity comes from CURVE, not the envelope.
expect sender-mismatch "$(raw --keys $K/school-de-linde.secret --sign-keys $K/wijkteam-heerlen.secret $to_vt)"
expect bad-signature "$(raw --keys $K/wijkteam-heerlen.secret --mode badsig $to_vt)"
expect ciphertext-modified "$(raw --keys $K/wijkteam-heerlen.secret --mode ciphertext $to_vt)"
expect unknown-recipient "$(raw --keys $K/wijkteam-heerlen.secret --to $K/ghost-org.public)"
expect expired "$(raw --keys $K/wijkteam-heerlen.secret --mode expired $to_vt)"
expect too-large "$(raw --keys $K/wijkteam-heerlen.secret --size 100000 $to_vt)"
expect unsupported-version "$(raw --keys $K/wijkteam-heerlen.secret --mode badversion $to_vt)"
expect malformed-frame "$(raw --keys $K/wijkteam-heerlen.secret --mode garbage $to_vt)"
expect malformed-frame "$(raw --keys $K/wijkteam-heerlen.secret --mode twoframes $to_vt)"

# The same envelope twice: one disclosure, the second answer is the original receipt.
out=$(raw --keys $K/wijkteam-heerlen.secret --twice $to_vt)
first=$(sed -n '1s/receipt seq=\([0-9]*\) duplicate=0/\1/p' <<<"$out")
second=$(sed -n '2s/receipt seq=\([0-9]*\) duplicate=1/\1/p' <<<"$out")
[ -n "$first" ] && [ "$first" = "$second" ] || fail "resend not deduplicated: $out"
[ "$(audit_grep -c 'ACCEPTED.*actor=wijkteam-heerlen')" -eq 1 ] \
    || fail "resent message audited twice"

# The agent refuses bad input from the IT system before anything leaves it.
vn_agent_start wijkteam-heerlen
echo "x" > "$T/m.txt"
send() { "$VANGNET" send --agent "$(api wijkteam-heerlen)" $MELD --file "$T/m.txt" "$@"; }
set +e
send --to vt-zuid-limburg --subject 123456789 2>"$T/e1"; r1=$?
send --to vt-zuid-limburg --subject 12345678a 2>"$T/e2"; r2=$?
send --to nobody-org --subject $BSN 2>"$T/e3"; r3=$?
send --to vt-zuid-limburg 2>"$T/e4"; r4=$?
set -e
[ $r1 -eq 5 ] && grep -q "elfproef" "$T/e1" || fail "bad checksum BSN: $r1 $(cat $T/e1)"
[ $r2 -eq 5 ] && grep -q "only digits" "$T/e2" || fail "letters in BSN: $r2 $(cat $T/e2)"
[ $r3 -eq 5 ] && grep -q "unknown-recipient" "$T/e3" || fail "unknown recipient: $r3"
[ $r4 -eq 2 ] || fail "missing subject should be a usage error"
# A basis the law does not know is refused by the broker: exit 3, code and reason, audited.
set +e
out=$("$VANGNET" send --agent "$(api wijkteam-heerlen)" --category zorgsignaal --basis nieuwsgierigheid       --file "$T/m.txt" --to vt-zuid-limburg --subject $BSN); r5=$?
set -e
[ $r5 -eq 3 ] && [[ $out == *"code=unknown-legal-basis"* ]] && [[ $out == *"reason: "* ]]     || fail "unknown basis: rc=$r5 $out"
audit_grep -q "REFUSED .*actor=wijkteam-heerlen.*basis=nieuwsgierigheid.*outcome=unknown-legal-basis" \
    || fail "unknown basis not audited"
# The broker still serves: a good notification goes through and arrives.
send --to vt-zuid-limburg --subject $BSN | grep -q '^accepted' || fail "broker stopped serving"
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 10 | grep -q "^message" || fail "not delivered"
kill -0 "$BROKER_PID" || fail "broker died"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "03-bad-input: ok"
