#!/usr/bin/env bash
# 13: what privacy officers ask of the log: query with filters (table, JSON lines, CSV) answered
# from the indexes, the data subject's access report (art. 15 GDPR, HTML, no employee names unless
# asked), the review list, and every one of those reads logged in the log itself.
# The art. 15 report by BSN still needs the network key (v1): docs/pseudonyms.md, not done.
VN_PSEUDONYMS=v1
. "$(dirname "$0")/lib.sh"
vn_setup_pair
vn_org school-de-linde onderwijs
vn_agent_start school-de-linde
echo "synthetisch" > "$T/m.txt"
OTHER=123456782
for i in 1 2 3; do
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
        --user dr.bakker --role psychiater --file "$T/m.txt" >/dev/null
done
"$VANGNET" send --agent "$(api school-de-linde)" --to vt-zuid-limburg --subject $OTHER $MELD \
    --file "$T/m.txt" >/dev/null
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to school-de-linde --subject $BSN --basis conflict-van-plichten \
    --category zorgsignaal --noodzaak "acuut gevaar" --file "$T/m.txt" >/dev/null
"$VANGNET" send --agent "$(api school-de-linde)" --to ggz-mondriaan --subject $BSN $MELD --file "$T/m.txt" >/dev/null || true
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --wait 5 >/dev/null
wait_for "audit_grep -c DELIVERED | grep -qx 5"
KEY="$T/keys/pseudonym.key"
"$VANGNET" audit query --data "$T/broker-data" --bsn $BSN --pseudonym-key "$KEY" --format jsonl >"$T/s.jsonl" 2>/dev/null
pseud=$(sed -n '1s/.*"subject":"\([0-9a-f]*\)".*/\1/p' "$T/s.jsonl")
[ ${#pseud} -eq 64 ] || fail "no pseudonym from a subject query"

# Query by subject: through the index, only that person's records are read.
"$VANGNET" audit query --data "$T/broker-data" --subject "$pseud" --event ACCEPTED >"$T/q.txt" 2>"$T/q.err"
[ "$(grep -c ACCEPTED "$T/q.txt")" -eq 4 ] || fail "subject query: $(cat "$T/q.txt")"
grep -q "4 records matched" "$T/q.err" || fail "count: $(cat "$T/q.err")"
! grep -q "school-de-linde .*to=vt-zuid-limburg" "$T/q.txt" || fail "another person's record in the answer"
# By organisation (as sender or recipient), JSON lines and CSV.
"$VANGNET" audit query --data "$T/broker-data" --org school-de-linde --event ACCEPTED --format jsonl >"$T/o.jsonl" 2>/dev/null
[ "$(wc -l <"$T/o.jsonl")" -eq 2 ] || fail "org query: $(cat "$T/o.jsonl")"
python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$T/o.jsonl" || fail "not JSON lines"
"$VANGNET" audit query --data "$T/broker-data" --refused --format csv >"$T/r.csv" 2>/dev/null
head -1 "$T/r.csv" | grep -q "^seq,time,event,actor" || fail "csv header"
python3 -c "import csv,sys; rows=list(csv.DictReader(open(sys.argv[1]))); assert len(rows)==1 and rows[0]['outcome']=='basis-not-allowed-for-recipient', rows" "$T/r.csv" \
    || fail "csv refusals: $(cat "$T/r.csv")"
today=$(date -u +%F); tomorrow=$(date -u -d tomorrow +%F)
[ "$("$VANGNET" audit query --data "$T/broker-data" --from "$tomorrow" 2>/dev/null | wc -l)" -eq 0 ] || fail "time filter"
[ "$("$VANGNET" audit query --data "$T/broker-data" --from "$today" --basis meldrecht --event ACCEPTED 2>/dev/null | wc -l)" -eq 4 ] \
    || fail "time and basis filter"

# The subject's access report: recipients and dates, no employee names unless asked.
"$VANGNET" audit subject --data "$T/broker-data" --bsn $BSN --pseudonym-key "$KEY" --out "$T/report.html"
grep -q "<h1>Overzicht van verstrekkingen over u</h1>" "$T/report.html" || fail "report"
[ "$(grep -c "ontvangen op / received $today" "$T/report.html")" -eq 4 ] || fail "deliveries in report"
grep -q "conflict van plichten" "$T/report.html" || fail "basis in report"
grep -q "basis\|meldrecht" "$T/report.html" || true
! grep -q "dr.bakker" "$T/report.html" || fail "employee name without --with-names"
grep -q "Geweigerd" "$T/report.html" && grep -q "school-de-linde" "$T/report.html" || fail "refusal section"
! grep -q "$OTHER" "$T/report.html" || fail "BSN in report"
"$VANGNET" audit subject --data "$T/broker-data" --bsn $BSN --pseudonym-key "$KEY" --with-names | grep -q "dr.bakker" \
    || fail "--with-names"

# Review: the conflict of duties, refusals per organisation.
"$VANGNET" audit review --data "$T/broker-data" >"$T/review.txt"
grep -q "conflict van plichten: .*basis=conflict-van-plichten" "$T/review.txt" || fail "review conflict"
grep -qE "school-de-linde +disclosures=1 refused=1" "$T/review.txt" || fail "review refusals: $(cat "$T/review.txt")"

# Every read above is itself in the log, with who and which filter; the log still verifies.
reads=$(audit_grep -c "AUDIT_READ")
[ "$reads" -ge 9 ] || fail "audit reads not logged ($reads)"
audit_grep -q "AUDIT_READ .*role=privacy-officer.*command=subject filter=subject=$pseud" || fail "subject read not logged with its filter"
"$VANGNET" audit verify --data "$T/broker-data" --broker-public "$T/keys/broker.public" | grep -q intact || fail "verify"
# Records appended by these tools are covered by a signed checkpoint within seconds, without traffic.
size_now() { "$VANGNET" audit verify --data "$T/broker-data" | sed -n 's/^latest checkpoint: size \([0-9]*\),.*/\1/p'; }
records_now() { "$VANGNET" audit verify --data "$T/broker-data" | sed -n 's/^audit log intact: \([0-9]*\) records.*/\1/p'; }
target=$(records_now)
wait_for "[ \$(size_now) -ge $target ]" 10
echo "13-audit-reports: ok"
