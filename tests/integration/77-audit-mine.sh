#!/usr/bin/env bash
# 77: an agency's privacy officer asks the broker, through the agency's own agent, for the audit
# records in which the agency is the acting organisation or a recipient (optionally about one
# child, pseudonymised through the pseudonym service): only that agency's records come back,
# another agency's never, in bounded pages, and the broker audits the read as one by that agency.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_org school-de-linde onderwijs
for o in ggz-mondriaan vt-zuid-limburg school-de-linde; do vn_agent_start $o; done
echo "synthetisch" > "$T/m.txt"
OTHER=123456782
send() { "$VANGNET" send --agent "$(api "$1")" --to vt-zuid-limburg --subject "$2" $MELD --wait 10 --file "$T/m.txt" >/dev/null || fail "send $1 $2"; }
send ggz-mondriaan $BSN
send school-de-linde $OTHER
send ggz-mondriaan $OTHER
wait_for "audit_grep -c DELIVERED | grep -qx 3"
mine() { "$VANGNET" audit mine --agent "$(api "$1")" --user po.jansen "${@:2}"; }

# 1. ggz sees its own two disclosures, never school's.
mine ggz-mondriaan --all > "$T/g.out" 2> "$T/g.err" || fail "audit mine: $(cat "$T/g.err")"
[ "$(grep -c " ACCEPTED .*actor=ggz-mondriaan" "$T/g.out")" = 2 ] || fail "ggz: $(cat "$T/g.out")"
! grep -q "school-de-linde" "$T/g.out" || fail "another organisation's record: $(cat "$T/g.out")"
while read -r line; do
    case "$line" in *actor=ggz-mondriaan*|*to=*ggz-mondriaan*) ;; *) fail "not ggz's: $line" ;; esac
done < "$T/g.out"
# 2. vt, the recipient of all three, sees all three and its deliveries.
mine vt-zuid-limburg --all > "$T/v.out" 2>&1 || fail "vt: $(cat "$T/v.out")"
[ "$(grep -c " ACCEPTED " "$T/v.out")" = 3 ] && [ "$(grep -c " DELIVERED .*actor=vt-zuid-limburg" "$T/v.out")" = 3 ] \
    || fail "vt: $(cat "$T/v.out")"
# 3. One child: ggz asking about OTHER gets its own disclosure about OTHER, not school's.
mine ggz-mondriaan --bsn $OTHER --all > "$T/o.out" 2> "$T/o.err" || fail "by subject: $(cat "$T/o.err")"
[ "$(grep -c " ACCEPTED " "$T/o.out")" = 1 ] && grep -q " ACCEPTED .*actor=ggz-mondriaan" "$T/o.out" \
    || fail "by subject: $(cat "$T/o.out")"
! grep -q "school-de-linde" "$T/o.out" || fail "school's record about the same child: $(cat "$T/o.out")"
! grep -q "$OTHER" "$T/o.out" "$T/o.err" || fail "the BSN in the answer"
# A child ggz never dealt with: nothing (its pseudonym asked of the service, purpose audit).
mine ggz-mondriaan --bsn 456789017 > "$T/n.out" 2> "$T/n.err" || fail "new subject: $(cat "$T/n.err")"
! grep -q " ACCEPTED \| DELIVERED " "$T/n.out" || fail "records about a child ggz never named: $(cat "$T/n.out")"
# 4. Paged: one record a page, resumed with --after, the same records in the end.
mine vt-zuid-limburg --max 1 > "$T/p1.out" 2> "$T/p1.err" || fail "page: $(cat "$T/p1.err")"
[ "$(wc -l < "$T/p1.out")" = 1 ] && grep -q "^next: --after [0-9]" "$T/p1.err" || fail "page: $(cat "$T/p1.out" "$T/p1.err")"
next=$(sed -n 's/^next: --after //p' "$T/p1.err")
mine vt-zuid-limburg --max 1 --after "$next" > "$T/p2.out" 2>/dev/null || fail "page 2"
[ "$(wc -l < "$T/p2.out")" = 1 ] && ! cmp -s "$T/p1.out" "$T/p2.out" || fail "page 2: $(cat "$T/p2.out")"
mine vt-zuid-limburg --max 2 --all > "$T/pa.out" 2>/dev/null || fail "paged all"
[ "$(grep -c " ACCEPTED \| DELIVERED " "$T/pa.out")" = 6 ] || fail "paged: $(cat "$T/pa.out")"
! mine vt-zuid-limburg --max 101 > /dev/null 2>&1 || fail "a page over 100 records"
# 5. Audited at the broker as a read by that organisation, with the officer and the filter; the
#    pseudonym for the subject came from the service under purpose "audit".
audit_grep -q "AUDIT_READ .*actor=ggz-mondriaan user=po.jansen role=privacy-officer command=audit-mine" \
    || fail "read not audited: $(grep AUDIT_READ "$T/audit.txt")"
audit_grep -q "AUDIT_READ .*actor=ggz-mondriaan.* filter=after=0 max=50 subject=" || fail "subject read"
vn_pseudonymd_kill TERM
grep -q "org=ggz-mondriaan purpose=audit requests=1 evaluations=1" "$T/pd-data/audit.log" \
    || fail "not pseudonymised through the service: $(cat "$T/pd-data/audit.log")"
# 6. Without the officer's name the CLI refuses (NEN 7513: who read).
! env -u VANGNET_USER "$VANGNET" audit mine --agent "$(api ggz-mondriaan)" > "$T/u.out" 2>&1 || fail "read without a user"
grep -q -- "--user ID" "$T/u.out" || fail "unclear: $(cat "$T/u.out")"
echo ok
