#!/usr/bin/env bash
# 41: client_ref is an idempotency key of the organisation. A repeat returns the first outcome and
# the same message id, also when the agent was killed before it could answer (the IT system saw an
# I/O error and retries); a different request under the same key is refused; another organisation
# may use the same key; the outcome can be asked by client_ref or id at any time.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
sed -i "s|^endpoint = .*|endpoint = $BROKER_EP|" "$T/broker.conf"
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_org wijkteam-heerlen wijkteam
vn_agent_start ggz-mondriaan
vn_agent_start vt-zuid-limburg
vn_agent_start wijkteam-heerlen
G=ggz-mondriaan
echo "synthetic: zorgen over thuissituatie" > "$T/m.txt"
echo "synthetic: iets anders" > "$T/other.txt"
send() { "$VANGNET" send --agent "$(api $G)" --to vt-zuid-limburg --subject $BSN $MELD "$@"; }
id_of() { sed -n 's/^[a-z]* message=\([0-9a-f]*\).*/\1/p' "$1"; }

# A repeat of an accepted submit: same id, the first outcome, marked repeated, nothing new.
send --client-ref ERP-2026-0001 --file "$T/m.txt" > "$T/a1" || fail "first submit: $(cat "$T/a1")"
send --client-ref ERP-2026-0001 --file "$T/m.txt" > "$T/a2" || fail "repeat: $(cat "$T/a2")"
[ "$(id_of "$T/a1")" = "$(id_of "$T/a2")" ] && grep -q "^accepted .*repeated=yes" "$T/a2" \
    || fail "repeat not idempotent: $(cat "$T/a1" "$T/a2")"
first=$(id_of "$T/a1")
# The same key for a different request is refused (exit 5), nothing is sent.
set +e
send --client-ref ERP-2026-0001 --file "$T/other.txt" > "$T/c" 2> "$T/c.err"; rc=$?
set -e
[ $rc -eq 5 ] && grep -q client-ref-conflict "$T/c.err" || fail "conflict: rc=$rc $(cat "$T/c.err")"
# Scoped to the organisation: the wijkteam may use the same key for its own message.
"$VANGNET" send --agent "$(api wijkteam-heerlen)" --to vt-zuid-limburg --subject $BSN $MELD \
    --client-ref ERP-2026-0001 --file "$T/m.txt" > "$T/w" || fail "other org: $(cat "$T/w")"
[ "$(id_of "$T/w")" != "$first" ] && ! grep -q repeated "$T/w" || fail "key not org-scoped: $(cat "$T/w")"
# The outcome, by client_ref and by id.
"$VANGNET" outcome --agent "$(api $G)" --client-ref ERP-2026-0001 > "$T/o1" || fail "outcome by ref"
"$VANGNET" outcome --agent "$(api $G)" --id "$first" > "$T/o2" || fail "outcome by id"
grep -q "^accepted message=$first" "$T/o1" && grep -q "^accepted message=$first" "$T/o2" \
    || fail "outcome lookup: $(cat "$T/o1" "$T/o2")"
set +e
"$VANGNET" outcome --agent "$(api $G)" --client-ref never-used 2> "$T/nf.err"; rc=$?
set -e
[ $rc -eq 5 ] && grep -q not-found "$T/nf.err" || fail "unknown client_ref: rc=$rc"

# Across an agent kill: the broker is paused, the agent stores the submit and is killed; the IT
# system retries with the same key after the restart and gets the same message, which the broker
# accepts once.
kill -STOP "$BROKER_PID"
send --client-ref ERP-2026-0002 --wait 0 --file "$T/m.txt" > "$T/k1" || [ $? -eq 4 ] || fail "k1"
kept=$(id_of "$T/k1")
[ -n "$kept" ] || fail "no id: $(cat "$T/k1")"
vn_agent_kill $G KILL
"$AGENT_BIN" --config "$T/$G.conf" >>"$T/$G.log" 2>&1 &
VN_PIDS+=($!)
eval "AGENT_PID_${G//-/_}=$!"
wait_for "[ -S '$T/$G.sock' ] && { '$VANGNET' status --agent '$(api $G)' || true; } | grep -q org=$G"
set +e
send --client-ref ERP-2026-0002 --wait 0 --file "$T/m.txt" > "$T/k2"; rc=$?
set -e
[ $rc -eq 4 ] && grep -q "^queued message=$kept repeated=yes" "$T/k2" \
    || fail "retry after the kill: rc=$rc $(cat "$T/k2")"
kill -CONT "$BROKER_PID"
"$VANGNET" outcome --agent "$(api $G)" --client-ref ERP-2026-0002 --wait 30 > "$T/k3" \
    || fail "outcome after the restart: $(cat "$T/k3")"
grep -q "^accepted message=$kept" "$T/k3" || fail "kept message: $(cat "$T/k3")"
# Once in the audit log, once in the recipient's inbox; three accepted in all.
[ "$(audit_grep -c "ACCEPTED .*msg=$kept")" -eq 1 ] || fail "accepted twice"
[ "$(audit_grep -c "ACCEPTED ")" -eq 3 ] || fail "extra messages: $(audit_grep ACCEPTED)"
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q 'inbox=3 '" 30
"$VANGNET" inbox --agent "$(api vt-zuid-limburg)" --json > "$T/inbox.json"
[ "$(inbox_each "$T/inbox.json" 'i["messageId"]' | grep -cx "$kept")" -eq 1 ] || fail "not delivered exactly once"
echo "41-client-ref: ok"
