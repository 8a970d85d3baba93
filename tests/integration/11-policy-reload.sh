#!/usr/bin/env bash
# 11: the policy file: `vangnet policy check` names the bad line; a broker refuses to start with a
# bad policy; on SIGHUP a bad file is refused as a whole and the running policy stays, a good one
# takes effect.
. "$(dirname "$0")/lib.sh"
vn_setup
cp "$POLICY" "$T/policy.conf"
sed -i "s|^policy = .*|policy = $T/policy.conf|" "$T/broker.conf"

# A bad policy: named line and reason, and the broker will not start with it.
sed 's/^recipients = veilig-thuis$/recipients = veilig-thuis, bakkerij/' "$POLICY" > "$T/bad.conf"
set +e
"$VANGNET" policy check "$T/bad.conf" 2>"$T/e"; rc=$?
set -e
[ $rc -ne 0 ] && grep -qE "bad.conf:[0-9]+: \[meldrecht\] recipients = veilig-thuis, bakkerij: invalid value" "$T/e" \
    || fail "policy check: $rc $(cat "$T/e")"
"$VANGNET" policy check "$POLICY" | grep -q "valid, 8 legal bases" || fail "shipped policy invalid"
sed -i "s|^policy = .*|policy = $T/bad.conf|" "$T/broker.conf"
set +e
timeout 10 "$BROKER_BIN" --config "$T/broker.conf" 2>"$T/start.err"; rc=$?
set -e
[ $rc -ne 0 ] && grep -q "bad.conf" "$T/start.err" || fail "broker started with a bad policy"
sed -i "s|^policy = .*|policy = $T/policy.conf|" "$T/broker.conf"

vn_broker_start
vn_org ggz-mondriaan ggz
vn_org vt-zuid-limburg veilig-thuis
vn_agent_start ggz-mondriaan
echo x > "$T/m.txt"
advice() {
    "$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --anonymous --basis advies \
        --category adviesvraag --file "$T/m.txt"
}
advice | grep -q '^accepted' || fail "advice refused under the shipped policy"

# SIGHUP with a broken file: refused, logged with the line, the running policy stays.
cp "$T/bad.conf" "$T/policy.conf"
kill -HUP "$BROKER_PID"
wait_for "grep -q 'event=policy-refused.*policy.conf:[0-9]*' '$T/broker.log'"
advice | grep -q '^accepted' || fail "running policy lost after a bad reload"

# SIGHUP with a valid policy without [advies]: advice requests are now refused.
python3 - "$POLICY" "$T/policy.conf" <<'PY'
import sys, re
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"\n\[advies\]\n(?:(?!\n\[).)*", "\n", text, flags=re.S))
PY
"$VANGNET" policy check "$T/policy.conf" | grep -q "valid, 7 legal bases" || fail "edited policy invalid"
kill -HUP "$BROKER_PID"
wait_for "grep -q 'event=policy-reloaded bases=7' '$T/broker.log'"
set +e
out=$(advice); rc=$?
set -e
[ $rc -eq 3 ] && [[ $out == *code=unknown-legal-basis* ]] || fail "new policy not in force: $out"
echo "11-policy-reload: ok"
