#!/usr/bin/env bash
# 19: day-two operations. --check-config validates the annotated examples and names the key and
# line of a mistake; SIGHUP changes the log level of a running broker and agent; SIGTERM stops
# them cleanly (exit 0) after finishing what was in flight.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
# The annotated examples hold every key; pointed at this test's files they are valid as they are.
ex() {  # ex FILE: the example with its paths replaced
    sed -e "s|^data = .*|data = $T/ex-data|" -e "s|^keys = .*|keys = $2|" \
        -e "s|^policy = .*|policy = $POLICY|" -e "s|^vocabulary = .*|vocabulary = $REPO/config/vocabulary.conf|" -e "s|^pseudonym_key = .*|pseudonym_key = $T/keys/pseudonym.key|" \
        -e "s|^public = /etc/vangnet/broker.public|public = $T/keys/broker.public|" -e "s|^api = .*|api = ipc://$T/ex.sock|" \
        -e "s|^public = /etc/vangnet/pseudonymd.public|public = $T/pd-keys/pseudonymd.public|" \
        -e "s|^clients = .*|clients = $T/pd-clients|" \
        "$REPO/config/$1"
}
[ -f "$T/pd-keys/pseudonymd.public" ] || { mkdir -p "$T/pd-keys" && "$PSEUDONYMD_BIN" --keygen "$T/pd-keys" >/dev/null; }
ex broker.conf "$T/keys/broker.secret" > "$T/ex-broker.conf"
ex pseudonymd.conf "$T/pd-keys/pseudonymd.secret" > "$T/ex-pd.conf"
"$PSEUDONYMD_BIN" --config "$T/ex-pd.conf" --check-config | grep -q "configuration valid" || fail "pseudonymd example"
ex agent.conf "$T/keys/ggz-mondriaan.secret" > "$T/ex-agent.conf"
"$BROKER_BIN" --config "$T/ex-broker.conf" --check-config | grep -q "configuration valid" || fail "broker example"
"$AGENT_BIN" --config "$T/ex-agent.conf" --check-config | grep -q "configuration valid" || fail "agent example"
[ ! -e "$T/ex-data" ] || fail "--check-config created the data directory"

check_bad() {  # check_bad BIN CONF EXPECTED-PATTERN
    set +e
    "$1" --config "$2" --check-config >"$T/out" 2>"$T/err"; local rc=$?
    set -e
    [ $rc -eq 2 ] && grep -qE "$3" "$T/err" || fail "$2: rc=$rc $(cat "$T/err")"
}
sed 's/^workers = 2/workers = lots/' "$T/ex-broker.conf" > "$T/bad1.conf"
line=$(grep -n "^workers" "$T/bad1.conf" | cut -d: -f1)
check_bad "$BROKER_BIN" "$T/bad1.conf" "bad1.conf:$line: \[broker\] workers = lots: invalid value, expected a whole number"
printf '[broker]\nendpont = tcp://127.0.0.1:1\n' | cat "$T/ex-broker.conf" - > "$T/bad2.conf"
check_bad "$BROKER_BIN" "$T/bad2.conf" "\[broker\] endpont: unknown key"
sed "s|^listen = off|listen = 0.0.0.0:9100|" "$T/ex-broker.conf" > "$T/bad3.conf"
check_bad "$BROKER_BIN" "$T/bad3.conf" "\[metrics\] listen = 0.0.0.0:9100: invalid value, expected 127.0.0.1:PORT"
sed "s|^keys = .*|keys = $T/keys/broker.public|" "$T/ex-broker.conf" > "$T/bad4.conf"
check_bad "$BROKER_BIN" "$T/bad4.conf" "keys: .*broker.public"
sed "s|^keys = .*|keys = $T/keys/nobody.secret|" "$T/ex-agent.conf" > "$T/bad5.conf"
check_bad "$AGENT_BIN" "$T/bad5.conf" "keys: .*nobody.secret"

# SIGHUP: debug logging on, without a restart.
sed -i 's/^map_size_mb.*/&\nlog_level = debug/' "$T/broker.conf"
kill -HUP "$BROKER_PID"
wait_for "grep -q 'event=config-reloaded log_level=debug' '$T/broker.log'"
sed -i 's/^\[agent\]/&\nlog_level = debug/' "$T/vt-zuid-limburg.conf"
kill -HUP "$(vn_agent_pid vt-zuid-limburg)"
wait_for "grep -q 'event=config-reloaded log_level=debug' '$T/vt-zuid-limburg.log'"
# A broken file on SIGHUP changes nothing and says why.
echo "log_level = loud" >> "$T/broker.conf"
kill -HUP "$BROKER_PID"
wait_for "grep -q 'event=config-refused.*log_level' '$T/broker.log'"
kill -0 "$BROKER_PID" || fail "broker died on a bad reload"
sed -i '$d' "$T/broker.conf"
sed -i "s|^endpoint = .*|endpoint = $BROKER_EP|" "$T/broker.conf"  # restarted below on the same port

# SIGTERM with traffic in flight: both stop with exit 0, and nothing accepted is lost.
echo "synthetic: zorgen" > "$T/m.txt"
( for _ in $(seq 20); do
      rc=0
      "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
          --wait 1 --file "$T/m.txt" >/dev/null || rc=$?
      [ $rc -eq 0 ] || [ $rc -eq 4 ] || exit 1   # 4: kept in the outbox while the broker is down
  done ) &
SENDER=$!
VN_PIDS+=("$SENDER")
sleep 0.5
kill -TERM "$BROKER_PID"
set +e; wait "$BROKER_PID"; rc=$?; set -e
[ $rc -eq 0 ] || fail "broker exit status $rc after SIGTERM"
grep -q "event=stopping" "$T/broker.log" || fail "no stopping line"
pid=$(vn_agent_pid vt-zuid-limburg)
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ $rc -eq 0 ] || fail "agent exit status $rc after SIGTERM"
wait "$SENDER" || fail "the agent did not take every notification"
vn_broker_start
vn_agent_start vt-zuid-limburg
wait_for "'$VANGNET' status --agent '$(api ggz-mondriaan)' | grep -q 'outbox=0 '" 30
accepted=$(audit_grep -c "ACCEPTED")
[ "$accepted" -eq 20 ] || fail "accepted $accepted of 20 after restart"
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q 'inbox=20 '" 30
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit log"
echo "19-operations: ok"
