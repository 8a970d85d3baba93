#!/usr/bin/env bash
# 46: what the IT system took over is not recoverable from the agents' stores (inbox contents are
# sealed at rest under a key from the key file; LMDB reuses pages without wiping them), and what
# a sender wrote cannot steer the terminal or a spreadsheet.
# The art. 15 report by BSN still needs the network key (v1): docs/pseudonyms.md, not done.
VN_PSEUDONYMS=v1
. "$(dirname "$0")/lib.sh"
vn_setup_pair
V=vt-zuid-limburg
marker="GEHEIM-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'synthetic %s line one\n\033[2J\033[1;1Hmessage FAKE\n  from:     politie\n' "$marker" > "$T/m.txt"
for i in 1 2 3; do
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to $V --subject $BSN $MELD --file "$T/m.txt" \
        | grep -q '^accepted' || fail "send $i"
done
wait_for "'$VANGNET' status --agent '$(api $V)' | grep -q 'inbox=3 '" 20
# Received, in the inbox, before any ack: not in the store's files as plaintext.
grep -rqa "$marker" "$T/$V-data" "$T/ggz-mondriaan-data" && fail "plaintext in an agent's store (unacked)"
"$VANGNET" inbox --agent "$(api $V)" > "$T/inbox.txt"
grep -q "$marker" "$T/inbox.txt" || fail "content not shown"
# No raw control character reaches the terminal; the sender's lines stay indented.
grep -q $'\033' "$T/inbox.txt" && fail "escape sequence printed raw"
grep -q '\\x1b\[2J' "$T/inbox.txt" || fail "escape not shown escaped: $(cat -v "$T/inbox.txt")"
grep -q '^message FAKE' "$T/inbox.txt" && fail "a sender started a line of its own"
"$VANGNET" inbox --agent "$(api $V)" --json > "$T/inbox.json"
inbox_each "$T/inbox.json" 'i["messageId"]' > "$T/ids"
while read -r id; do "$VANGNET" ack --agent "$(api $V)" "$id" >/dev/null; done < "$T/ids"
wait_for "'$VANGNET' status --agent '$(api $V)' | grep -q 'inbox=0 '" 10
vn_agent_kill $V                   # everything flushed
grep -rqa "$marker" "$T/$V-data" "$T/ggz-mondriaan-data" && fail "acked plaintext recoverable from the store"
strings -a "$T/$V-data/data.mdb" | grep -q "synthetic" && fail "plaintext fragment in data.mdb"
vn_agent_start $V
# CSV: a cell a sender filled that looks like a formula reaches a spreadsheet as text.
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to $V --subject $BSN $MELD \
    --user '=HYPERLINK("http://x")' --role '@SUM(1)' --file "$T/m.txt" >/dev/null
"$VANGNET" audit query --data "$T/broker-data" --format csv > "$T/q.csv" 2>/dev/null
grep -qE ',(=HYPERLINK|@SUM)' "$T/q.csv" && fail "formula cell in CSV"
grep -q "\"'=HYPERLINK" "$T/q.csv" && grep -q "\"'@SUM" "$T/q.csv" \
    || fail "formula cell not defused: $(tail -n 2 "$T/q.csv")"
# Reports: 0600, never over an existing file, never through a symlink.
"$VANGNET" audit subject --data "$T/broker-data" --bsn $BSN --pseudonym-key "$T/keys/pseudonym.key" \
    --out "$T/r.html" 2>/dev/null
[ "$(stat -c %a "$T/r.html")" = 600 ] || fail "report mode $(stat -c %a "$T/r.html")"
set +e
"$VANGNET" audit subject --data "$T/broker-data" --bsn $BSN --pseudonym-key "$T/keys/pseudonym.key" \
    --out "$T/r.html" 2> "$T/e1"; r1=$?
ln -s "$T/planted" "$T/link.html"
"$VANGNET" audit subject --data "$T/broker-data" --bsn $BSN --pseudonym-key "$T/keys/pseudonym.key" \
    --out "$T/link.html" 2> "$T/e2"; r2=$?
set -e
[ $r1 -eq 1 ] && grep -q "exists already" "$T/e1" || fail "report overwritten: $r1 $(cat "$T/e1")"
[ $r2 -eq 1 ] && [ ! -e "$T/planted" ] || fail "report followed a symlink: $r2 $(cat "$T/e2")"
echo "46-no-plaintext-at-rest: ok"
