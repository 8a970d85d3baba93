#!/usr/bin/env bash
# 80: the log for anyone, with standard tools. Checkpoints are C2SP signed notes served at
# /log/checkpoint with tiles at /log/tile/L/N[.p/W] (entry bundles refused); `vangnet keygen --vkey`
# prints the broker's vkey. Go's golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's
# golang-golang-x-mod-dev, code nobody at vangnet wrote) verify the note, an inclusion proof of a
# record over 550 bytes, a consistency proof from `audit consistency --to N` (a size-N
# checkpoint), and every record against tiles downloaded for tree sizes that are and are not
# multiples of 256. Without Go the Go part is skipped (exit 77) after the rest passed.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
echo "synthetisch" > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" | grep -q '^accepted' || fail "send"
set +e   # a Meldcode report without consultation: refused, its record is long (reason in two languages)
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN --basis meldrecht \
    --category melding --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt --onveiligheid acuut \
    --client-geinformeerd ja --user aandachtsfunctionaris-0042 --role aandachtsfunctionaris-kindermishandeling \
    --file "$T/m.txt" >/dev/null 2>&1
set -e
HTTP=$(cat "$T/broker-data/metrics-address")
VKEY=$("$VANGNET" keygen --vkey "$T/keys/broker.public" | sed -n 's/^log vkey: //p')
[[ $VKEY =~ ^vangnet\.example/broker-broker\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$ ]] || fail "vkey: $VKEY"

# The checkpoint note: origin, size, base64 root, a blank line, the broker's signature line.
wait_for "curl -sf '$HTTP/log/checkpoint' | head -1 | grep -qx vangnet.example/broker-broker"
curl -sf "$HTTP/log/checkpoint" > "$T/cp.txt"
sed -n 2p "$T/cp.txt" | grep -Eqx '[1-9][0-9]*' || fail "size line: $(cat "$T/cp.txt")"
sed -n 3p "$T/cp.txt" | grep -Eqx '[A-Za-z0-9+/]{43}=' || fail "root line"
sed -n 4p "$T/cp.txt" | grep -qx '' || fail "no blank line"
sed -n 5p "$T/cp.txt" | grep -Eq '^— vangnet.example/broker-broker [A-Za-z0-9+/]{91}=$' || fail "signature line"
# Read-only, and no records for the anonymous.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$HTTP/log/tile/entries/000.p/1")" = 403 ] || fail "entries served"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$HTTP/log/checkpoint")" = 405 ] || fail "POST accepted"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$HTTP/log/tile/0/999")" = 404 ] || fail "missing tile served"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$HTTP/log/tile/0/0001")" = 404 ] || fail "bad tile path served"
curl -sI "$HTTP/log/tile/0/000.p/1" | grep -qi "cache-control: public, max-age=31536000, immutable" \
    || fail "tiles are immutable"

# The refused record is over 550 bytes and `audit prove` prints it whole.
"$VANGNET" audit show --data "$T/broker-data" --json > "$T/show.json"
refused=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "REFUSED": print(r["seq"], len(r["record"]) // 2); break' "$T/show.json")
read -r rseq rlen <<< "$refused"
[ "${rlen:-0}" -ge 550 ] || fail "no record of 550 bytes or more: '$refused'"

# Every `vangnet audit` command appends one read record; vn-forge grow appends synthetic ones of
# many sizes. settle N: wait until the broker published a checkpoint of size N.
settle() { wait_for "curl -sf '$HTTP/log/checkpoint' | sed -n 2p | grep -qx $1" 20; }
"$VN_FORGE" grow "$T/broker-data" 505 >/dev/null
settle 505
# An unsigned size is refused by name (exit 2); a signed one is printed as that checkpoint.
set +e
"$VANGNET" audit consistency --from 3 --to 504 --data "$T/broker-data" >/dev/null 2>"$T/cons.err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "no checkpoint was signed at size 504" "$T/cons.err" || fail "--to 504: rc=$rc $(cat "$T/cons.err")"
"$VANGNET" audit show --data "$T/broker-data" --json > "$T/records.json"
"$VANGNET" audit prove --seq "$rseq" --data "$T/broker-data" > "$T/prove.txt"
[ "$(sed -n 's/^record: //p' "$T/prove.txt" | tr -d '\n' | wc -c)" -eq $((2 * rlen)) ] || fail "record not printed whole"
"$VANGNET" audit consistency --from 3 --to 505 --data "$T/broker-data" > "$T/cons.txt"
grep -qx "tree_size: 505" "$T/cons.txt" || fail "consistency --to 505: $(cat "$T/cons.txt")"
unhex() { python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))'; }
sed -n 's/^checkpoint: //p' "$T/cons.txt" | unhex | sed -n 2p | grep -qx 505 || fail "checkpoint not of size 505"

if ! command -v go >/dev/null; then
    echo "80-checkpoint-tiles: Go not installed; the Go verifier was skipped" >&2
    exit 77
fi
mkdir -p "$BUILD/go"
( cd "$REPO/tests/go" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$BUILD/go/cache" GOFLAGS= \
      go build -o "$BUILD/go/vnverify" vnverify.go ) || fail "the Go verifier does not build"
govet() { "$BUILD/go/vnverify" -url "$HTTP/log" -vkey "$VKEY" "$@"; }

# 512, a multiple of 256: full level-0 tiles only, a partial level-1 tile of width 2.
"$VN_FORGE" grow "$T/broker-data" 512 >/dev/null
settle 512
govet -prove "$T/prove.txt" -consistency "$T/cons.txt" -records "$T/records.json" > "$T/go.txt" \
    || fail "Go rejected the log at size 512: $(cat "$T/go.txt")"
cat "$T/go.txt"
grep -q "checkpoint: vangnet.example/broker-broker size 512" "$T/go.txt" || fail "not checked at 512"
grep -q "records: 506 of 512 hash" "$T/go.txt" || fail "not every record checked"

# 549: partial tiles at levels 0 (width 37) and 1 (width 2).
"$VANGNET" audit prove --seq 512 --data "$T/broker-data" > "$T/prove512.txt"
"$VANGNET" audit consistency --from 505 --to 512 --data "$T/broker-data" > "$T/cons512.txt"
"$VANGNET" audit show --data "$T/broker-data" --json > "$T/records.json"
"$VN_FORGE" grow "$T/broker-data" 549 >/dev/null
settle 549
govet -prove "$T/prove512.txt" -consistency "$T/cons512.txt" -records "$T/records.json" > "$T/go.txt" \
    || fail "Go rejected the log at size 549: $(cat "$T/go.txt")"
cat "$T/go.txt"
grep -q "records: 514 of 549 hash" "$T/go.txt" || fail "not every record checked at 549"

# It can fail: a wrong key id, a changed inclusion proof.
set +e
"$BUILD/go/vnverify" -url "$HTTP/log" -vkey "${VKEY%%+*}+00000000+${VKEY##*+}" >/dev/null 2>&1; rc1=$?
python3 -c 'import sys
for l in open(sys.argv[1]):
    if l.startswith("proof: "): l = "proof: " + ("1" if l[7] == "0" else "0") + l[8:]
    print(l, end="")' "$T/prove512.txt" > "$T/bad.txt"
govet -prove "$T/bad.txt" >/dev/null 2>&1; rc2=$?
set -e
[ $rc1 -eq 1 ] && [ $rc2 -eq 1 ] || fail "a wrong key ($rc1) or a changed proof ($rc2) verified"
echo "80-checkpoint-tiles: ok"
