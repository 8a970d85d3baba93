# siglib.sh -- helpers for the signal tests (55-59): signals through the CLI, inbox JSON checks.
SIG_PHONE=045-5550000
# sig_add ORG YOUTH CATEGORY AGE [more signal add options]: prints the new signal's id.
sig_add() {
    local org=$1 youth=$2 cat=$3 age=$4
    shift 4
    "$VANGNET" signal add --agent "$(api "$org")" --youth "$youth" --category "$cat" --age "$age" \
        --contact-name "Contact $org" --contact-phone $SIG_PHONE "$@" |
        sed -n 's/^signal \(S[0-9a-f]*\) .*/\1/p' | head -n 1
}
inbox_json() { "$VANGNET" inbox --agent "$(api "$1")" --wait "${2:-0}" --json > "$T/$1.json"; }
# json_check ORG PYTHON-EXPR: an assertion over ORG's inbox (items; notices: match notices; cards).
json_check() {
    python3 - "$T/$1.json" "$2" <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))["items"]  # the HTTP API's InboxPage
notices = [i for i in items if i["kind"] == "match-notice"]
cards = [i for i in items if "contactCard" in i]
if not eval(sys.argv[2]):
    print(json.dumps(items, indent=1), file=sys.stderr)
    sys.exit(1)
PY
}
# wait_inbox ORG PYTHON-EXPR [SECONDS]: until ORG's inbox satisfies the assertion.
wait_inbox() {
    for _ in $(seq $((${3:-10} * 5))); do
        inbox_json "$1" && json_check "$1" "$2" 2>/dev/null && return 0
        sleep 0.2
    done
    json_check "$1" "$2" || fail "$1's inbox never had: $2"
}
# ack_all ORG: the IT system takes over everything in ORG's inbox.
ack_all() {
    inbox_json "$1"
    for id in $(python3 -c "import json; [print(i['messageId']) for i in json.load(open('$T/$1.json'))['items']]"); do
        "$VANGNET" ack --agent "$(api "$1")" "$id" >/dev/null
    done
}
# match_of ORG: the id of the (first) match in ORG's inbox notices.
match_of() {
    python3 -c "import json; print([i for i in json.load(open('$T/$1.json'))['items'] if i['kind'] == 'match-notice'][0]['matchNotice']['match']['id'])"
}
# policy_with SED-EXPR: after vn_setup, before the broker starts: the broker uses a copy of the
# policy changed by sed.
policy_with() {
    sed "$1" "$POLICY" > "$T/policy.conf"
    sed -i "s|^policy = .*|policy = $T/policy.conf|" "$T/broker.conf"
}
