#!/usr/bin/env bash
# 83: the third party's recipe of docs/audit.md, run literally: the Python block is taken from the
# document and run with Python's standard library and PyNaCl (Debian python3-nacl) only. It checks
# every record's inclusion proof (records of every size, one over 550 bytes) against the broker's
# checkpoint note and vkey, a consistency proof from a root kept earlier, and both witnesses'
# cosignatures on the published checkpoint; a changed record byte or another key fails it. The
# pseudonym is recomputed as docs/envelope.md states it (BLAKE2b, personalisation vangnet-pseud-v1).
# The art. 15 report by BSN still needs the network key (v1): docs/pseudonyms.md, not done.
VN_PSEUDONYMS=v1
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3   # Debian's, with python3-nacl
$PY -c 'import nacl.signing' 2>/dev/null || fail "python3-nacl is needed (scripts/test.sh installs it)"
WITNESS=$'[witness]\nwitnesses = ggz-mondriaan,vt-zuid-limburg\nquorum = 2'
VN_BROKER_EXTRA=$WITNESS VN_AGENT_EXTRA=$WITNESS vn_setup_pair
sed -n '/^## Checking a proof independently/,/^## Agents audit the log/p' "$REPO/docs/audit.md" |
    sed -n '/^```python$/,/^```$/p' | sed '1d;$d' > "$T/check.py"
[ "$(wc -l < "$T/check.py")" -gt 50 ] || fail "no recipe found in docs/audit.md"
grep -q "^import base64, hashlib, sys" "$T/check.py" || fail "the recipe is not the document's"

echo "synthetisch" > "$T/m.txt"
for i in 1 2 3; do
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
        --user "prof-$i" --role psychiater --file "$T/m.txt" | grep -q '^accepted' || fail "send $i"
done
set +e
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN --basis meldrecht \
    --category melding --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt --onveiligheid acuut \
    --client-geinformeerd ja --user aandachtsfunctionaris-0042 \
    --role aandachtsfunctionaris-kindermishandeling --file "$T/m.txt" >/dev/null 2>&1
set -e
HTTP=$(cat "$T/broker-data/metrics-address")
VKEY=$("$VANGNET" keygen --vkey "$T/keys/broker.public" | sed -n 's/^log vkey: //p')
W1=$("$VANGNET" org list --data "$T/broker-data" | awk '$1 == "ggz-mondriaan" {print $5}')
W2=$("$VANGNET" org list --data "$T/broker-data" | awk '$1 == "vt-zuid-limburg" {print $5}')
[[ $W1 == vangnet.example/witness-ggz-mondriaan+* ]] || fail "witness vkey: $W1"

# Every record up to the newest checkpoint, proved and checked by the recipe.
wait_for "'$VANGNET' audit show --data '$T/broker-data' | grep -q DELIVERED"
"$VANGNET" audit prove --seq 1 --data "$T/broker-data" > "$T/p1.txt"
size=$(sed -n 's/^tree_size: //p' "$T/p1.txt")
old_root=$(sed -n 's/^root: //p' "$T/p1.txt")
maxlen=0
for seq in $(seq 1 "$size"); do
    "$VANGNET" audit prove --seq "$seq" --to "$size" --data "$T/broker-data" > "$T/p.txt"
    out=$($PY "$T/check.py" "$VKEY" "$T/p.txt") || fail "record $seq: the recipe failed: $out"
    len=$(echo "$out" | sed -n 's/.*(\([0-9]*\) bytes).*/\1/p')
    [ "$len" -gt "$maxlen" ] && maxlen=$len
done
[ "$maxlen" -ge 550 ] || fail "no record of 550 bytes or more among $size (largest $maxlen)"

# A consistency proof from the root kept, to a newer checkpoint, and the witnesses' cosignatures.
wait_for "[ \$(curl -sf '$HTTP/log/checkpoint' | sed -n 2p) -gt $size ] && curl -sf '$HTTP/log/checkpoint' | grep -c '^— vangnet.example/witness-' | grep -qx 2" 20
curl -sf "$HTTP/log/checkpoint" > "$T/published.txt"
new=$(sed -n 2p "$T/published.txt")
wait_for "'$VANGNET' audit consistency --from $size --to $new --data '$T/broker-data' > '$T/c.txt'"
$PY "$T/check.py" "$VKEY" "$T/p.txt" "$T/c.txt" "$old_root" "$T/published.txt" "$W1" "$W2" > "$T/out.txt" \
    || fail "consistency or cosignatures: $(cat "$T/out.txt")"
cat "$T/out.txt"
grep -q "witness-vt-zuid-limburg cosigned size $new" "$T/out.txt" || fail "cosignature not checked"

# The recipe can fail: one changed record byte, another log's key, a cosignature of another key.
sed 's/^record: \(..\)/record: ff/' "$T/p1.txt" > "$T/bad.txt"
! $PY "$T/check.py" "$VKEY" "$T/bad.txt" >/dev/null 2>&1 || fail "a changed record passed"
OTHER=$("$VANGNET" keygen --org rogue --sector broker --out "$T/keys" | sed -n 's/^log vkey: //p')
! $PY "$T/check.py" "$OTHER" "$T/p1.txt" >/dev/null 2>&1 || fail "another key passed"
! $PY "$T/check.py" "$VKEY" "$T/p.txt" "$T/c.txt" "$old_root" "$T/published.txt" "$W1" \
    "${W2/vt-zuid-limburg/ggz-mondriaan}" >/dev/null 2>&1 || fail "a mislabelled cosignature passed"

# docs/envelope.md's pseudonym: BLAKE2b-256, key = the pseudonym key, personalisation vangnet-pseud-v1.
key=$(sed -n 's/^key = //p' "$T/keys/pseudonym.key")
"$VANGNET" audit show --data "$T/broker-data" --json > "$T/show.json"
$PY - "$key" "$BSN" "$T/show.json" <<'PY' || fail "pseudonym not as documented"
import base64, binascii, hashlib, json, sys
k = sys.argv[1]
try:
    key = bytes.fromhex(k)
except ValueError:
    key = base64.b64decode(k)
want = hashlib.blake2b(sys.argv[2].encode(), digest_size=32, key=key, person=b"vangnet-pseud-v1").hexdigest()
subjects = {json.loads(l).get("subject") for l in open(sys.argv[3])} - {None}
assert subjects == {want}, (subjects, want)
print("pseudonym recomputed from the documented parameters")
PY
echo "83-third-party: ok"
