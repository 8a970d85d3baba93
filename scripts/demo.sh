#!/usr/bin/env bash
# demo.sh -- the main job: a broker and four agencies on this machine play the Heerlen case. The
# GGZ team does the kindcheck and registers signals on the mother's two children; the school and
# the neighbourhood team register theirs; each learns who else is involved (a match notice about
# its own case, and the others' contact cards, sealed end to end); the covenant rules name a
# coordinator, who writes to the match under the parents' consent; the GGZ reports to Veilig
# Thuis under the Meldcode; one disclosure is refused, a consent withdrawal stops one; each
# recipient shows what it received; the audit trail is shown and verified. Installs what is
# missing, builds, and stops every process it started.
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
    if [ -n "${VN_DEMO_KEEP:-}" ]; then echo "kept: $D (logs and stores)"; else rm -rf "$D"; fi
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() { for _ in $(seq 100); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "timed out: $1" >&2; exit 1; }

ORGS="vt-zuid-limburg:veilig-thuis ggz-mondriaan:ggz wijkteam-heerlen:wijkteam school-de-linde:onderwijs"
step "Keys: a broker, four agencies (all synthetic), and the pseudonym service (a separate key holder)"
mkdir -p "$D/keys" "$D/pd-keys" "$D/pd-clients"
"$V" keygen --org broker --sector broker --out "$D/keys"
"$B/pseudonymd/vangnet-pseudonymd" --keygen "$D/pd-keys"
for o in $ORGS; do "$V" keygen --org "${o%%:*}" --sector "${o##*:}" --out "$D/keys"; done
"$V" keygen --org privacy-office --sector broker --out "$D/keys"   # the broker's privacy officer

step "Operator registers the agencies with the broker, and the pseudonym service's operator with it"
for o in $ORGS; do "$V" org add --data "$D/broker" "$D/keys/${o%%:*}.public"; done
"$V" org list --data "$D/broker"
for o in $ORGS privacy-office:; do cp "$D/keys/${o%%:*}.public" "$D/pd-clients/"; done
cat > "$D/pseudonymd.conf" <<CONF
[pseudonymd]
endpoint = tcp://127.0.0.1:*
keys = $D/pd-keys/pseudonymd.secret
clients = $D/pd-clients
data = $D/pseudonymd
[budgets]
privacy-office = 10
CONF
"$B/pseudonymd/vangnet-pseudonymd" --config "$D/pseudonymd.conf" 2>"$D/pseudonymd.log" & PIDS+=($!)
wait_for "[ -s '$D/pseudonymd/endpoint' ]"
PEP=$(cat "$D/pseudonymd/endpoint")
echo "pseudonym service on $PEP: holds the only key that turns a BSN into a pseudonym, sees only"
echo "blinded values (RFC 9497 VOPRF), 20,000 evaluations per agency per day"

step "Starting the broker and one agent per agency"
cat > "$D/broker.conf" <<CONF
[broker]
endpoint = tcp://127.0.0.1:*
data = $D/broker
keys = $D/keys/broker.secret
policy = $PWD/config/policy.conf
vocabulary = $PWD/config/vocabulary.conf
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
[broker]
endpoint = $EP
public = $D/keys/broker.public
[pseudonymd]
endpoint = $PEP
public = $D/pd-keys/pseudonymd.public
CONF
    "$B/agent/vangnet-agent" --config "$D/$org.conf" 2>"$D/$org.log" & PIDS+=($!)
done
for o in $ORGS; do
    wait_for "'$V' status --agent ipc://$D/${o%%:*}.sock | grep -q 'connected=yes.*directory-orgs=4'"
    "$V" status --agent "ipc://$D/${o%%:*}.sock"
done
api() { echo "ipc://$D/$1.sock"; }

# Synthetic people: the mother (BSN 111222333) and her children of 7 (234567892) and 4 (345678904).
MOTHER=111222333 KIND7=234567892 KIND4=345678904
sid() { sed -n 's/^signal \(S[0-9a-f]*\) .*/\1/p' | head -n 1; }

step "1. Kindcheck: the GGZ team treating the mother registers a signal on each of her two children"
echo "(content-free: THAT the GGZ is involved and concerned, naming the mother as parent; no reason)"
for kid in "$KIND7 7 GGZ-DOSSIER-4711-K1" "$KIND4 4 GGZ-DOSSIER-4711-K2"; do
    set -- $kid
    "$V" signal add --agent "$(api ggz-mondriaan)" --youth "$1" --parent $MOTHER --category zorg-ouder \
        --age "$2" --informed niet --not-informed-reason "moeder in crisis; gesprek volgt na stabilisatie" \
        --client-ref "$3" --contact-name "Dr. A. Bakker" --contact-role psychiater \
        --contact-phone 045-5551234 --user dr.bakker --role psychiater
done

step "2. The school registers a signal on the 7-year-old: a client match, both told"
"$V" signal add --agent "$(api school-de-linde)" --youth $KIND7 --category schoolverzuim --age 7 \
    --informed ouders --client-ref LLN-2019-0042 --contact-name "J. de Vries" \
    --contact-role intern-begeleider --contact-email j.devries@delinde.example \
    --user j.devries --role intern-begeleider
wait_for "'$V' inbox --agent $(api school-de-linde) | grep -q 'contact card'"
echo "--- the school's inbox: a match notice about ITS OWN pupil (client_ref, BSN), and the GGZ's contact card"
"$V" inbox --agent "$(api school-de-linde)"

step "3. The neighbourhood team registers one too: the covenant rules make it the coordinator"
"$V" signal add --agent "$(api wijkteam-heerlen)" --youth $KIND7 --parent $MOTHER --category huiselijk-geweld \
    --age 7 --informed ouders --client-ref WT-2026-311 --contact-name "P. Jansen" --contact-role wijkcoach \
    --contact-phone 045-5557788 --user p.jansen --role wijkcoach
wait_for "'$V' match list --agent $(api ggz-mondriaan) | grep -q 'coordinator: wijkteam-heerlen'"
echo "--- the GGZ's view of its matches (the neighbourhood team comes first in [coordination] order;"
echo "    schools only signal and never coordinate):"
"$V" match list --agent "$(api ggz-mondriaan)"
MATCH=$("$V" match list --agent "$(api wijkteam-heerlen)" --json | python3 -c "
import json,sys; print([m['id'] for m in json.load(sys.stdin)['items'] if m.get('coordinator') == 'wijkteam-heerlen'][0])")

step "4. The coordinator registers the parents' consent and writes to match:$MATCH under it"
CONSENT=$("$V" consent add --agent "$(api wijkteam-heerlen)" --subject $KIND7 --given-by wettelijk-vertegenwoordiger \
    --to sector:ggz,sector:onderwijs --categories afstemming --purpose "een plan voor het gezin" --days 180)
echo "$CONSENT"
REF=$(sed -n 's/^consent \(c[0-9a-f]*\) .*/\1/p' <<<"$CONSENT")
echo "Voorstel: overleg maandag 10:00 met GGZ en school over een gezamenlijk plan (1 gezin, 1 plan, 1 regisseur)." \
  | "$V" send --agent "$(api wijkteam-heerlen)" --to "match:$MATCH" --subject $KIND7 \
      --subject-name "Kind Synthetisch" --subject-birth-date 2019-03-04 \
      --category afstemming --basis consent --consent-ref "$REF" --user p.jansen --role wijkcoach --file -
echo "--- the school receives it with the pupil's BSN, name and birth date (sealed; the broker saw a pseudonym):"
"$V" inbox --agent "$(api school-de-linde)" --wait 5 | grep -A8 "category: afstemming"
"$V" match coordinate --agent "$(api wijkteam-heerlen)" "$MATCH" --agree

step "5. GGZ reports to Veilig Thuis under the Meldcode's right to report (art. 5.2.6 Wmo 2015)"
MELDING=$(echo "Client (synthetisch) met ernstige psychiatrische problematiek zorgt alleen voor twee kinderen (4 en 7); kindcheck positief, acute onveiligheid vermoed." \
  | "$V" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $KIND7 \
      --category melding --basis meldrecht --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt \
      --onveiligheid acuut --consultatie "$(date -u +%F)" \
      --client-geinformeerd "nee: gevaar voor de kinderen" --user dr.bakker --role psychiater --file -)
echo "$MELDING"
MELDING_SEQ=$(sed -n 's/.* audit-seq=\([0-9]*\) .*/\1/p' <<<"$MELDING")

step "6. The school shares a concern under another consent of the parents (to the neighbourhood team)"
CONSENT=$("$V" consent add --agent "$(api school-de-linde)" --subject $KIND7 --given-by wettelijk-vertegenwoordiger \
    --to wijkteam-heerlen,sector:ggz --categories zorgsignaal --purpose "passende hulp voor het gezin" --days 180)
echo "$CONSENT"
REF=$(sed -n 's/^consent \(c[0-9a-f]*\) .*/\1/p' <<<"$CONSENT")
echo "Leerling (synthetisch, groep 4) komt sinds weken zonder ontbijt en met blauwe plekken; ouders gaven toestemming om het wijkteam in te schakelen." \
  | "$V" send --agent "$(api school-de-linde)" --to wijkteam-heerlen --subject $KIND7 \
      --category zorgsignaal --basis consent --consent-ref "$REF" \
      --user j.devries --role intern-begeleider --file -

step "7. A report under the Meldcode's right to report, but to GGZ instead of Veilig Thuis: refused"
set +e
echo "Zorgen over het gezin." \
  | "$V" send --agent "$(api wijkteam-heerlen)" --to ggz-mondriaan --subject $KIND7 \
      --category melding --basis meldrecht --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt \
      --onveiligheid structureel --consultatie "$(date -u +%F)" --client-geinformeerd ja \
      --user p.jansen --role wijkcoach --file -
echo "(exit code $?: refused, and the refusal is in the audit log)"
set -e

step "8. GGZ is offline; the school shares under the consent, then the parents withdraw it"
kill -TERM "${PIDS[3]}"; wait "${PIDS[3]}" 2>/dev/null || true   # [0] pseudonymd, [1] broker, [2] vt, [3] ggz
echo "Vervolg: leerling (synthetisch) meldt zich ziek na weekend bij vader." \
  | "$V" send --agent "$(api school-de-linde)" --to ggz-mondriaan --subject $KIND7 \
      --category zorgsignaal --basis consent --consent-ref "$REF" \
      --user j.devries --role intern-begeleider --file -
"$V" consent withdraw --agent "$(api school-de-linde)" "$REF"
"$B/agent/vangnet-agent" --config "$D/ggz-mondriaan.conf" 2>>"$D/ggz-mondriaan.log" & PIDS[3]=$!
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
    for id in $("$V" inbox --agent "$(api $org)" --json | sed -n 's/.*"messageId":"\([0-9a-f]*\)".*/\1/p'); do
        "$V" ack --agent "$(api $org)" "$id" >/dev/null
    done
done
MELDING_ID=$(sed -n 's/^accepted message=\([0-9a-f]*\) .*/\1/p' <<<"$MELDING")
wait_for "'$V' audit show --data '$D/broker' | grep 'DELIVERED .*msg=$MELDING_ID' >/dev/null" # no -q: under pipefail, a reader that stops early fails the writer (SIGPIPE)
for id in $("$V" inbox --agent "$(api school-de-linde)" --json | sed -n 's/.*"messageId":"\([0-9a-f]*\)".*/\1/p'); do
    "$V" ack --agent "$(api school-de-linde)" "$id" >/dev/null
done

step "The broker's audit trail (NEN 7513 fields; no content, no citizen number, no contact details)"
"$V" audit show --data "$D/broker"
for secret in $MOTHER $KIND7 $KIND4 "Kind Synthetisch" 045-5551234 j.devries@delinde.example "Dr. A. Bakker"; do
    if grep -rqaF "$secret" "$D/broker" "$D/broker.log" "$D/pseudonymd" "$D/pseudonymd.log"; then
        echo "'$secret' found at the broker or the pseudonym service!"; exit 1; fi
done
echo "(checked: no citizen number, name or contact detail appears in the broker's or the pseudonym"
echo " service's store or log)"

step "The 7-year-old's GDPR art. 15 report: its signals, and which organisations know of each other since when"
# The broker's privacy officer gets the one pseudonym from the pseudonym service (purpose art15,
# its own small budget): no one holds a key that pseudonymises BSNs at will.
"$V" audit subject --data "$D/broker" --bsn $KIND7 --service "$PEP" --service-public "$D/pd-keys/pseudonymd.public" \
    --keys "$D/keys/privacy-office.secret" --out "$D/art15.html"
sed -n '/<h2>Signalen/,$p' "$D/art15.html" | sed -e 's#</t[dh]><t[dh]>#  |  #g' -e 's/<[^>]*>//g' -e '/^$/d'
echo "(the full report, with every disclosure and consent: $D/art15.html, removed at the end)"

step "A privacy officer verifies the audit log: hash chain, Merkle tree and the broker's signed checkpoints"
"$V" audit verify --data "$D/broker" --broker-public "$D/keys/broker.public"
echo "--- an inclusion proof for the Meldcode report's ACCEPTED record, checkable by anyone:"
"$V" audit prove --seq "$MELDING_SEQ" --data "$D/broker" | grep -v "^record:"

step "The operator's view of the running broker (vangnet status; Prometheus metrics on /metrics)"
"$V" status --url "$(cat "$D/broker/metrics-address")" || true   # exit 1 would mean a warning
curl -s "$(cat "$D/broker/metrics-address")/metrics" | grep -E "^vangnet_broker_(notifications|deliveries)_" || true
step "Stopping every process"
