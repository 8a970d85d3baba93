#!/usr/bin/env bash
# 09: the policy, table-driven and end to end: every legal basis with an allowed and a forbidden
# recipient sector and each of its justification fields missing, sent through real agents; each
# refusal carries its code, reaches the CLI (exit 3, in Dutch and English) and is in the audit log.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_org raad-limburg raad-kinderbescherming
vn_org gi-jeugdbescherming gecertificeerde-instelling
vn_org school-de-linde onderwijs
vn_org wijkteam-heerlen wijkteam
vn_agent_start ggz-mondriaan
vn_agent_start vt-zuid-limburg
echo "synthetisch" > "$T/m.txt"
TODAY=$(date -u +%F)
REF=$(vn_consent ggz-mondriaan wijkteam-heerlen zorgsignaal)
OTHER_REF=$(vn_consent ggz-mondriaan wijkteam-heerlen zorgsignaal 123456782)
[ -n "$REF" ] && [ -n "$OTHER_REF" ] || fail "consents not registered"

# The fields of each basis, as `vangnet send` arguments (one per line: omitted one at a time).
MELD_FIELDS="--afweging=1=ja
--afweging=2=ja
--afweging=3=nvt
--afweging=4=nvt
--afweging=5=nvt
--onveiligheid=acuut
--consultatie=$TODAY
--client-geinformeerd=ja"
declare -A FIELDS=(
    [consent]="--consent-ref=$REF"
    [meldrecht]="$MELD_FIELDS"
    [advies]=""
    [raad-1-240]="--afweging-tekst=zorgvuldig-afgewogen"
    [gi-ots]="--ots-referentie=OTS-2026-17
--aanleiding=op-verzoek"
    [conflict-van-plichten]="--noodzaak=acuut-gevaar-alleen-zo-af-te-wenden"
)
declare -A CATEGORY=([consent]=zorgsignaal [meldrecht]=melding [advies]=adviesvraag
    [raad-1-240]=zorgsignaal [gi-ots]=zorgsignaal [conflict-van-plichten]=zorgsignaal)
declare -A ALLOWED_TO=([consent]=wijkteam-heerlen [meldrecht]=vt-zuid-limburg
    [advies]=vt-zuid-limburg [raad-1-240]=raad-limburg [gi-ots]=gi-jeugdbescherming
    [conflict-van-plichten]=school-de-linde)
declare -A FORBIDDEN_TO=([consent]="school-de-linde consent-scope"
    [meldrecht]="ggz-mondriaan basis-not-allowed-for-recipient"
    [advies]="school-de-linde basis-not-allowed-for-recipient"
    [raad-1-240]="vt-zuid-limburg basis-not-allowed-for-recipient"
    [gi-ots]="school-de-linde basis-not-allowed-for-recipient")

# send SENDER BASIS TO SUBJECT-ARGS FIELDS... ; prints "accepted" or the refusal code; exit 3 checked.
send() {
    local from=$1 basis=$2 to=$3 subj=$4; shift 4
    local args=() f out rc
    for f in "$@"; do [ -n "$f" ] && args+=("$f"); done
    set +e
    out=$("$VANGNET" send --agent "$(api "$from")" --to "$to" $subj --basis "$basis" \
          --category "${CATEGORY[$basis]:-terugkoppeling}" "${args[@]}" --file "$T/m.txt" 2>&1)
    rc=$?
    set -e
    if [ $rc -eq 0 ]; then echo accepted; return; fi
    [ $rc -eq 3 ] || fail "$basis to $to: exit $rc: $out"
    [[ $out == *"reason: "* && $out == *"reden:  "* ]] || fail "$basis: refusal without both languages: $out"
    sed -n 's/^refused .* code=\([^ ]*\) audit-seq=\([0-9]*\)$/\1 \2/p' <<<"$out"
}
expect_refused() { # expect_refused WHAT CODE "CODE SEQ"
    local got_code=${3% *} seq=${3#* }
    [ "$got_code" = "$2" ] || fail "$1: expected $2, got '$3'"
    audit_grep -E "^ *$seq .*REFUSED .*outcome=$2( |$)" >/dev/null \
        || fail "$1: refusal $2 not in the audit log as record $seq"
}
checked=0
for basis in consent meldrecht advies raad-1-240 gi-ots conflict-van-plichten; do
    subject="--subject $BSN"
    [ "$basis" = advies ] && subject="--anonymous"
    mapfile -t fields <<<"${FIELDS[$basis]}"
    # allowed recipient sector, all fields present
    [ "$(send ggz-mondriaan $basis "${ALLOWED_TO[$basis]}" "$subject" "${fields[@]}")" = accepted ] \
        || fail "$basis to ${ALLOWED_TO[$basis]} should be accepted"
    checked=$((checked + 1))
    # a forbidden recipient sector
    if [ -n "${FORBIDDEN_TO[$basis]:-}" ]; then
        read -r to code <<<"${FORBIDDEN_TO[$basis]}"
        expect_refused "$basis to $to" "$code" "$(send ggz-mondriaan $basis "$to" "$subject" "${fields[@]}")"
        checked=$((checked + 1))
    fi
    # each justification field missing in turn
    for ((i = 0; i < ${#fields[@]}; i++)); do
        [ -n "${fields[$i]}" ] || continue
        rest=("${fields[@]:0:i}" "${fields[@]:i+1}")
        name=${fields[$i]#--}; name=${name%%=*}
        case $name in
            afweging) name="afwegingsvraag-${fields[$i]#--afweging=}"; name=${name%%=*} ;;
            consultatie) name=collegiale-consultatie ;;
            afweging-tekst) name=afweging ;;
        esac
        expect_refused "$basis without $name" "missing-justification:$name" \
            "$(send ggz-mondriaan $basis "${ALLOWED_TO[$basis]}" "$subject" "${rest[@]}")"
        checked=$((checked + 1))
    done
done

# Rules beyond sectors and fields.
expect_refused "advies with a subject" advice-must-be-anonymous \
    "$(send ggz-mondriaan advies vt-zuid-limburg "--subject $BSN")"
expect_refused "meldrecht with another category" category-not-allowed \
    "$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN --basis meldrecht \
       --category zorgsignaal --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt --onveiligheid acuut \
       --consultatie "$TODAY" --client-geinformeerd ja --file "$T/m.txt" | sed -n 's/^refused .* code=\([^ ]*\) audit-seq=\([0-9]*\)$/\1 \2/p')"
expect_refused "invalid choice" "invalid-justification:aanleiding" \
    "$(send ggz-mondriaan gi-ots gi-jeugdbescherming "--subject $BSN" --ots-referentie=X --aanleiding=zomaar)"
mapfile -t future <<<"${MELD_FIELDS//$TODAY/2099-01-01}"
expect_refused "consultation in the future" "invalid-justification:collegiale-consultatie" \
    "$(send ggz-mondriaan meldrecht vt-zuid-limburg "--subject $BSN" "${future[@]}")"
expect_refused "unknown consent" consent-unknown \
    "$(send ggz-mondriaan consent wijkteam-heerlen "--subject $BSN" --consent-ref=c0000000000000000)"
expect_refused "consent about someone else" consent-subject \
    "$(send ggz-mondriaan consent wijkteam-heerlen "--subject $BSN" "--consent-ref=$OTHER_REF")"
expect_refused "someone else's consent" consent-not-owned \
    "$(send vt-zuid-limburg consent wijkteam-heerlen "--subject $BSN" "--consent-ref=$REF")"
expect_refused "unknown basis" unknown-legal-basis \
    "$(send ggz-mondriaan nieuwsgierigheid vt-zuid-limburg "--subject $BSN")"
checked=$((checked + 8))

# Conflict of duties is allowed but flagged for review.
audit_grep -q "ACCEPTED .*basis=conflict-van-plichten.*review=required" \
    || fail "conflict of duties not flagged for review"

# terugkoppeling: only Veilig Thuis, only to the organisation that made the report.
mapfile -t meld <<<"$MELD_FIELDS"
report=$("$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN --basis meldrecht \
         --category melding "${meld[@]}" --file "$T/m.txt" | sed -n 's/^accepted message=\([0-9a-f]*\) .*/\1/p')
[ -n "$report" ] || fail "report not accepted"
[ "$(send vt-zuid-limburg terugkoppeling ggz-mondriaan "--subject $BSN" "--in-reply-to=$report")" = accepted ] \
    || fail "terugkoppeling to the reporter refused"
expect_refused "terugkoppeling to another" reply-not-to-reporter \
    "$(send vt-zuid-limburg terugkoppeling wijkteam-heerlen "--subject $BSN" "--in-reply-to=$report")"
expect_refused "terugkoppeling by a non-VT" basis-not-allowed-for-sender \
    "$(send ggz-mondriaan terugkoppeling vt-zuid-limburg "--subject $BSN" "--in-reply-to=$report")"
expect_refused "terugkoppeling without reference" "missing-justification:in-reply-to" \
    "$(send vt-zuid-limburg terugkoppeling ggz-mondriaan "--subject $BSN")"
expect_refused "terugkoppeling to an unknown report" reply-to-unknown \
    "$(send vt-zuid-limburg terugkoppeling ggz-mondriaan "--subject $BSN" --in-reply-to=00000000000000000000000000000000)"
checked=$((checked + 5))
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo "09-policy: ok ($checked cases)"
