#!/usr/bin/env bash
# 54: the broker's rules for registering signals and for contact cards: sectors the policy does not
# allow, the informed-parties rule by age, ages and dates out of range, terms not in the signed
# vocabulary (and a new revision after SIGHUP, sent to agents; a bad file changes nothing), the
# per-youth limit, list paging; contact cards (basis signaal-match) only between participants of
# the match they name, their content never readable at the broker.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/brokersig.sh"
vn_setup
# This network lets the police only signal through others: not a signalling sector here.
sed 's/^senders = jeugdhulp, ggz, wijkteam, onderwijs, huisarts, politie, /senders = jeugdhulp, ggz, wijkteam, onderwijs, huisarts, /' \
    "$POLICY" > "$T/policy.conf"
grep -q "^senders = jeugdhulp, ggz, wijkteam, onderwijs, huisarts, gecertificeerde" "$T/policy.conf" || fail "policy edit"
sed -i "s|^policy = .*|policy = $T/policy.conf|" "$T/broker.conf"
cp "$REPO/config/vocabulary.conf" "$T/vocabulary.conf"
sed -i "s|^vocabulary = .*|vocabulary = $T/vocabulary.conf|" "$T/broker.conf"
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org school-de-linde onderwijs
vn_org politie-limburg politie
vn_org wijkteam-heerlen wijkteam

refused signal-sector-not-allowed peer politie-limburg add --youth kind
audit_grep -q "SIGNAL_REFUSED actor=politie-limburg .*outcome=signal-sector-not-allowed" || fail "refusal not audited"
# Who must have been told, by age: < 12 the parents, 12-15 both, >= 16 the youth.
refused informed-parties-wrong peer ggz-mondriaan add --youth k7 --age 7 --informed jongere
peer ggz-mondriaan add --youth k7 --age 7 --informed ouders | grep -q '^signal ' || fail "age 7, ouders"
refused informed-parties-wrong peer ggz-mondriaan add --youth k13 --age 13 --informed ouders
peer ggz-mondriaan add --youth k13 --age 13 --informed ouders,jongere | grep -q '^signal ' || fail "age 13"
refused informed-parties-wrong peer ggz-mondriaan add --youth k17 --age 17 --informed ouders
peer ggz-mondriaan add --youth k17 --age 17 --informed jongere | grep -q '^signal ' || fail "age 17"
refused informed-parties-wrong peer ggz-mondriaan add --youth k17 --age 17 --informed niet
peer ggz-mondriaan add --youth k17b --age 17 --informed niet --reason "gevaar voor de jongere" | grep -q '^signal ' || fail "niet with reason"
refused youth-too-old peer ggz-mondriaan add --youth k24 --age 24 --informed jongere
refused signal-date-invalid peer ggz-mondriaan add --youth k7 --days-ago 731
refused signal-date-invalid peer ggz-mondriaan add --youth k7 --seconds-ago -86400
refused unknown-term peer ggz-mondriaan add --youth k7 --category ruzie
refused signal-invalid peer ggz-mondriaan add --youth k7 --parent a --parent b --parent c --parent d --parent e
# Ids of another shape are unknown, and never fail a group commit (LMDB keys are bounded).
refused signal-unknown peer ggz-mondriaan withdraw "S$(printf '0%.0s' $(seq 600))"
refused not-in-match peer ggz-mondriaan show "M$(printf '0%.0s' $(seq 600))"
refused not-in-match peer ggz-mondriaan agree "M$(printf '0%.0s' $(seq 600))"
# At most four live signals of one organisation on one youth.
for _ in 1 2 3; do peer ggz-mondriaan add --youth k7 >/dev/null; done
refused too-many-signals peer ggz-mondriaan add --youth k7
# Paging: at most the limit, then `next` continues; a too-large limit is capped.
page=$(peer ggz-mondriaan list --limit 3)
[ "$(grep -c '^signal ' <<<"$page")" -eq 3 ] || fail "page size: $page"
next=$(sed -n 's/^ok audit=[0-9]* next=\(S[0-9a-f]*\)$/\1/p' <<<"$page")
[ -n "$next" ] || fail "no next: $page"
rest=$(peer ggz-mondriaan list --after "$next" --limit 500)
[ "$(grep -c '^signal ' <<<"$rest")" -eq 4 ] || fail "second page: $rest"
peer ggz-mondriaan list --limit 100000 | grep -c '^signal ' | grep -qx 7 || fail "large limit"

# Vocabulary: a new revision with a new term, after SIGHUP; agents holding revision 1 get it.
sed -i 's/^revision = 1$/revision = 2/' "$T/vocabulary.conf"
printf '\n[signal-category:eenzaamheid]\ngloss_en = loneliness\ndefinition = Sociaal isolement van de jongere.\n' >> "$T/vocabulary.conf"
kill -HUP "$BROKER_PID"
wait_for "grep -q 'event=vocabulary-loaded .*revision=2' '$T/broker.log'"
peer wijkteam-heerlen add --youth k9 --category eenzaamheid | grep -q '^signal ' || fail "new term refused"
out=$(peer wijkteam-heerlen notices --revision 1 --wait 1)
[[ $out == *"vocabulary verified=1 name=vangnet-begrippen revision=2 terms=25"* ]] || fail "new revision not sent: $out"
out=$(peer wijkteam-heerlen notices --revision 2 --wait 1)
[[ $out != *vocabulary* ]] || fail "vocabulary resent to an agent that has it: $out"
echo "[signal-category:kapot" >> "$T/vocabulary.conf"
kill -HUP "$BROKER_PID"
wait_for "grep -q 'event=vocabulary-refused' '$T/broker.log'"
peer wijkteam-heerlen add --youth k10 --category eenzaamheid | grep -q '^signal ' || fail "running vocabulary lost after a bad reload"

# Contact cards: the school and the GGZ share a match on k13; the police and the wijkteam do not.
s=$(peer school-de-linde add --youth k13 --age 13 --informed ouders,jongere | sid)
m=$(peer school-de-linde notices --count 1 --wait 5 | mid)
[ -n "$m" ] || fail "no match on k13"
peer school-de-linde card --match "$m" --to "$T/keys/ggz-mondriaan.public" | grep -q '^receipt' || fail "card between participants refused"
refused not-in-match peer school-de-linde card --match "$m" --to "$T/keys/ggz-mondriaan.public,$T/keys/wijkteam-heerlen.public"
refused not-in-match peer wijkteam-heerlen card --match "$m" --to "$T/keys/ggz-mondriaan.public"
refused not-in-match peer school-de-linde card --match M00000000000000000000000000000000 --to "$T/keys/ggz-mondriaan.public"
refused match-id-required peer school-de-linde card --to "$T/keys/ggz-mondriaan.public"
refused category-not-allowed peer school-de-linde card --match "$m" --category zorgsignaal --to "$T/keys/ggz-mondriaan.public"
audit_grep -q "ACCEPTED *actor=school-de-linde .*to=ggz-mondriaan basis=signaal-match category=contactkaart .*match=$m" || fail "card not audited with its match"
# Withdrawn: no longer a participant, no more cards.
peer school-de-linde withdraw "$s" >/dev/null
refused not-in-match peer school-de-linde card --match "$m" --to "$T/keys/ggz-mondriaan.public"
# The card's content (a name and a phone number) is nowhere readable at the broker.
for f in "$T"/broker-data/* "$T/broker.log"; do
    ! grep -qa "J. Jansen\|045-0000000" "$f" || fail "contact details in clear in $f"
done
echo "ok 54-signal-policy"
