#!/usr/bin/env bash
# demo.sh -- the main job: a broker and four agencies on this machine share justified
# notifications; one is refused; each recipient shows what it received; the audit trail is shown
# and verified. Installs what is missing, builds, and stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
vn_install_deps
vn_build_release
B=$PWD/build-release
V="$B/cli/vangnet"

D=$(mktemp -d "${TMPDIR:-/tmp}/vangnet-demo-XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$D"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() { for _ in $(seq 100); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "timed out: $1" >&2; exit 1; }

ORGS="vt-zuid-limburg:veilig-thuis ggz-mondriaan:ggz wijkteam-heerlen:wijkteam school-de-linde:onderwijs"
step "Keys: a broker, four agencies (all synthetic), and the network pseudonym key agents share"
mkdir -p "$D/keys"
"$V" keygen --org broker --sector broker --out "$D/keys"
"$V" keygen --pseudonym-key "$D/keys/pseudonym.key"
for o in $ORGS; do "$V" keygen --org "${o%%:*}" --sector "${o##*:}" --out "$D/keys"; done

step "Operator registers the agencies with the broker"
for o in $ORGS; do "$V" org add --data "$D/broker" "$D/keys/${o%%:*}.public"; done
"$V" org list --data "$D/broker"

step "Starting the broker and one agent per agency"
cat > "$D/broker.conf" <<CONF
[broker]
endpoint = tcp://127.0.0.1:*
data = $D/broker
keys = $D/keys/broker.secret
policy = $PWD/config/policy.conf
[metrics]
listen = 127.0.0.1:0
CONF
"$B/broker/vangnet-broker" --config "$D/broker.conf" 2>"$D/broker.log" & PIDS+=($!)
wait_for "[ -s '$D/broker/endpoint' ]"
EP=$(cat "$D/broker/endpoint")
echo "broker listening on $EP (CURVE; only registered agencies are admitted)"
for o in $ORGS; do
    org=${o%%:*}
    cat > "$D/$org.conf" <<CONF
[agent]
keys = $D/keys/$org.secret
data = $D/$org
api = ipc://$D/$org.sock
pseudonym_key = $D/keys/pseudonym.key
[broker]
endpoint = $EP
public = $D/keys/broker.public
CONF
    "$B/agent/vangnet-agent" --config "$D/$org.conf" 2>"$D/$org.log" & PIDS+=($!)
done
for o in $ORGS; do
    wait_for "'$V' status --agent ipc://$D/${o%%:*}.sock | grep -q 'connected=yes.*directory-orgs=4'"
    "$V" status --agent "ipc://$D/${o%%:*}.sock"
done
api() { echo "ipc://$D/$1.sock"; }

step "1. The school registers the parents' consent, then shares a concern with the neighbourhood team"
CONSENT=$("$V" consent add --agent "$(api school-de-linde)" --subject 111222333 --given-by wettelijk-vertegenwoordiger \
    --to wijkteam-heerlen,sector:ggz --categories zorgsignaal --purpose "passende hulp voor het gezin" --days 180)
echo "$CONSENT"
REF=$(sed -n 's/^consent \(c[0-9a-f]*\) .*/\1/p' <<<"$CONSENT")
echo "Leerling (synthetisch, groep 4) komt sinds weken zonder ontbijt en met blauwe plekken; ouders gaven toestemming om het wijkteam in te schakelen." \
  | "$V" send --agent "$(api school-de-linde)" --to wijkteam-heerlen --subject 111222333 \
      --category zorgsignaal --basis consent --consent-ref "$REF" \
      --user j.devries --role intern-begeleider --file -

step "2. GGZ reports to Veilig Thuis under the Meldcode's right to report (art. 5.2.6 Wmo 2015)"
MELDING=$(echo "Client (synthetisch) met ernstige psychiatrische problematiek zorgt alleen voor twee kinderen (4 en 7); kindcheck positief, acute onveiligheid vermoed." \
  | "$V" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject 111222333 \
      --category melding --basis meldrecht --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt \
      --onveiligheid acuut --consultatie "$(date -u +%F)" \
      --client-geinformeerd "nee: gevaar voor de kinderen" --user dr.bakker --role psychiater --file -)
echo "$MELDING"
MELDING_SEQ=$(sed -n 's/.* audit-seq=\([0-9]*\) .*/\1/p' <<<"$MELDING")

step "3. A report under the Meldcode's right to report, but to GGZ instead of Veilig Thuis: refused"
set +e
echo "Zorgen over het gezin." \
  | "$V" send --agent "$(api wijkteam-heerlen)" --to ggz-mondriaan --subject 111222333 \
      --category melding --basis meldrecht --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt \
      --onveiligheid structureel --consultatie "$(date -u +%F)" --client-geinformeerd ja \
      --user p.jansen --role wijkcoach --file -
echo "(exit code $?: refused, and the refusal is in the audit log)"
set -e

step "4. GGZ is offline; the school shares under the consent, then the parents withdraw it"
kill -TERM "${PIDS[2]}"; wait "${PIDS[2]}" 2>/dev/null || true
echo "Vervolg: leerling (synthetisch) meldt zich ziek na weekend bij vader." \
  | "$V" send --agent "$(api school-de-linde)" --to ggz-mondriaan --subject 111222333 \
      --category zorgsignaal --basis consent --consent-ref "$REF" \
      --user j.devries --role intern-begeleider --file -
"$V" consent withdraw --agent "$(api school-de-linde)" "$REF"
"$B/agent/vangnet-agent" --config "$D/ggz-mondriaan.conf" 2>>"$D/ggz-mondriaan.log" & PIDS[2]=$!
wait_for "'$V' status --agent ipc://$D/ggz-mondriaan.sock | grep -q 'connected=yes'"
echo "--- GGZ's inbox after reconnecting (the withdrawn disclosure was withheld):"
"$V" inbox --agent "$(api ggz-mondriaan)" --wait 2
echo "--- the school's inbox: the broker told it why"
"$V" inbox --agent "$(api school-de-linde)" --wait 5

step "What each recipient received, decrypted by its own agent (the broker only saw ciphertext)"
for org in wijkteam-heerlen vt-zuid-limburg; do
    echo "--- inbox of $org"
    "$V" inbox --agent "$(api $org)" --wait 5
done
for org in wijkteam-heerlen vt-zuid-limburg; do
    for id in $("$V" inbox --agent "$(api $org)" --json | sed -n 's/.*"message_id":"\([0-9a-f]*\)".*/\1/p'); do
        "$V" ack --agent "$(api $org)" "$id" >/dev/null
    done
done
wait_for "[ \$('$V' audit show --data '$D/broker' | grep -c DELIVERED) -eq 2 ]"
for id in $("$V" inbox --agent "$(api school-de-linde)" --json | sed -n 's/.*"message_id":"\([0-9a-f]*\)".*/\1/p'); do
    "$V" ack --agent "$(api school-de-linde)" "$id" >/dev/null
done

step "The broker's audit trail (NEN 7513 fields; no content, no citizen number)"
"$V" audit show --data "$D/broker"
if grep -rqa "111222333" "$D/broker" "$D/broker.log"; then echo "BSN found at the broker!"; exit 1; fi
echo "(checked: the citizen number appears nowhere in the broker's store or log)"

step "A privacy officer verifies the audit log: hash chain, Merkle tree and the broker's signed checkpoints"
"$V" audit verify --data "$D/broker" --broker-public "$D/keys/broker.public"
echo "--- an inclusion proof for the Meldcode report's ACCEPTED record, checkable by anyone:"
"$V" audit prove --seq "$MELDING_SEQ" --data "$D/broker" | grep -v "^record:"

step "The operator's view of the running broker (vangnet status; Prometheus metrics on /metrics)"
"$V" status --url "$(cat "$D/broker/metrics-address")" || true   # exit 1 would mean a warning
curl -s "$(cat "$D/broker/metrics-address")/metrics" | grep -E "^vangnet_broker_(notifications|deliveries)_" || true
step "Stopping every process"
