#!/usr/bin/env bash
# 70: pseudonyms from the pseudonym service (VOPRF, RFC 9497) as a real process: agents of two
# organisations get the same pseudonym for one child without holding any pseudonym key, so a
# signal matches across them and a notification's subject checks out at the recipient; the
# broker's log holds no v1 (network-key) pseudonym of new traffic; a repeat subject is served
# from the agent's cache; the service's files and log hold no BSN and no pseudonym, only counts.
VN_PSEUDONYMS=own # this test starts the pseudonym service itself
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org school-de-linde onderwijs
vn_org vt-zuid-limburg veilig-thuis
vn_pseudonymd_start
for org in ggz-mondriaan school-de-linde vt-zuid-limburg; do vn_agent_start $org; done
KIND=234567892
. "$(dirname "$0")/siglib.sh"

# No network key in any agent's configuration: only the service's pinned public keys.
! grep -q pseudonym_key "$T/ggz-mondriaan.conf" || fail "the agent still holds the network key"
"$AGENT_BIN" --config "$T/ggz-mondriaan.conf" --check-config > "$T/check.txt" 2>&1 || fail "check-config: $(cat "$T/check.txt")"
grep -q "pseudonyms: v2 from the pseudonym service at $PSEUDONYMD_EP" "$T/check.txt" || fail "check-config: $(cat "$T/check.txt")"

# 1. The same child in two organisations: a client match, so both derived one pseudonym.
s1=$(sig_add ggz-mondriaan $KIND zorg-ouder 7 --informed ouders --client-ref GGZ-1)
[ -n "$s1" ] || fail "ggz signal not registered"
s2=$(sig_add school-de-linde $KIND schoolverzuim 7 --informed ouders --client-ref LLN-1)
[ -n "$s2" ] || fail "school signal not registered"
wait_inbox school-de-linde "any(n['matchNotice']['event'] == 'match' and n['cases'][0]['youthBsn'] == '$KIND' for n in notices)"

# 2. A notification: the recipient pseudonymises the sealed BSN again (through the service) and
#    it matches the header's pseudonym, so it is delivered with the child's identity.
echo "synthetisch: zorgen" > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $KIND $MELD --wait 10 \
    --file "$T/m.txt" > "$T/send1.txt" || fail "send: $(cat "$T/send1.txt")"
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 10 --json > "$T/vt.json"
python3 -c "
import json,sys; items=json.load(open('$T/vt.json'))['items']
assert any(i.get('subjectBsn') == '$KIND' and i.get('category') == 'melding' for i in items), items" || fail "not delivered with its subject"

# 3. The broker's records carry the v2 pseudonym: the v1 one of this BSN is nowhere in its log.
"$VANGNET" audit query --data "$T/broker-data" --format jsonl > "$T/all.jsonl" 2>/dev/null
subj=$(sed -n 's/.*"subject":"\([0-9a-f]\{64\}\)".*/\1/p' "$T/all.jsonl" | sort -u)
[ "$(echo "$subj" | wc -l)" -eq 1 ] || fail "one child, one pseudonym expected: $subj"
"$VANGNET" audit query --data "$T/broker-data" --bsn $KIND --pseudonym-key "$T/keys/pseudonym.key" \
    > /dev/null 2> "$T/v1.err" || true
grep -q "^0 records matched" "$T/v1.err" || fail "a v1 pseudonym in the broker's log: $(cat "$T/v1.err")"

# 4. The cache: the child of step 1 cost ggz no evaluation for its notification, and a new
#    subject costs one, once.
evals() { awk -v o="$1" -v p="$2" '$1=="count" && $2==o && $3==p {print $4}' "$T/pd-data/state"; }
[ -z "$(evals ggz-mondriaan notification)" ] || fail "a subject cached from a signal was evaluated again"
OTHER=123456782
for _ in 1 2; do
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $OTHER $MELD --wait 10 \
        --file "$T/m.txt" >/dev/null || fail "send about another child"
done
[ "$(evals ggz-mondriaan notification)" = 1 ] || fail "expected one evaluation for two notifications: $(cat "$T/pd-data/state")"

# 5. The service stores no BSN and no pseudonym, only counts; its audit log says who asked how
#    many for which purpose (written per hour, and at shutdown).
vn_pseudonymd_kill TERM
grep -q "org=ggz-mondriaan purpose=signal requests=1 evaluations=1 .*partial=yes" "$T/pd-data/audit.log" \
    || fail "audit log: $(cat "$T/pd-data/audit.log")"
grep -q "org=vt-zuid-limburg purpose=receive " "$T/pd-data/audit.log" || fail "the recipient's check is not counted"
for f in "$T"/pd-data/* "$T/pseudonymd.log"; do
    ! grep -qE "$KIND|$OTHER" "$f" || fail "a BSN in $f"
    ! grep -qi "$subj" "$f" || fail "a pseudonym in $f"
done
# The recipient keeps no BSN of its own beyond its sealed inbox: its pseudonym cache is keyed by
# a keyed hash, so its store has neither BSN in clear.
! grep -rqaE "$KIND|$OTHER" "$T/vt-zuid-limburg-data" || fail "a BSN in the recipient agent's store"
echo "ok"
