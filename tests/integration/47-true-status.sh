#!/usr/bin/env bash
# 47: what the system says about itself and about the law is true. Justification keys given twice
# are refused (the policy and the audit log would read different values); dates are real calendar
# days; an endpoint with an impossible port fails --check-config; an agent pointed at the wrong
# port says so at once; `status --agent` exits 1 while the agent is not connected.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
G=ggz-mondriaan
echo "synthetic: zorgen" > "$T/m.txt"
raw() { "$VN_RAWPEER" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" \
        --keys "$T/keys/$G.secret" --to "$T/keys/vt-zuid-limburg.public" "$@" || true; }
send() { "$VANGNET" send --agent "$(api $G)" --to vt-zuid-limburg --subject $BSN "$@" --file "$T/m.txt"; }
meld() { echo --basis meldrecht --category melding --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt \
              --onveiligheid acuut --client-geinformeerd nee:gevaar; }

# Duplicate keys: the agent refuses them; an envelope that carries them anyway, the broker too.
set +e
send $(meld) --consultatie "$(date -u +%F)" --field onveiligheid=structureel 2> "$T/e"; rc=$?
set -e
[ $rc -eq 5 ] && grep -q "onveiligheid is given twice" "$T/e" || fail "agent: duplicate key: $rc $(cat "$T/e")"
out=$(raw --mode dupkey)
[[ $out == "refusal code=duplicate-justification:onveiligheid"* ]] || fail "broker: duplicate key: $out"
audit_grep -q "REFUSED .*outcome=duplicate-justification:onveiligheid" || fail "not audited"
# A message id is its sender's: another organisation using it is refused, never answered with
# the first one's receipt; the first sender resending it gets its original receipt.
vn_org wijkteam-heerlen wijkteam
wait_for "grep -q 'event=registry-loaded .*orgs=3' '$T/broker.log'" 10
a1=$(raw --seed reused-id)
b1=$("$VN_RAWPEER" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" \
     --keys "$T/keys/wijkteam-heerlen.secret" --to "$T/keys/vt-zuid-limburg.public" --seed reused-id || true)
a2=$(raw --seed reused-id)
[[ $a1 == "receipt seq="*" duplicate=0" ]] || fail "first use: $a1"
[[ $b1 == "refusal code=message-id-in-use"* ]] || fail "another organisation's id: $b1"
[ "$a2" = "${a1% duplicate=0} duplicate=1" ] || fail "the first sender's resend: $a2 (first: $a1)"
audit_grep -qE "REFUSED +actor=wijkteam-heerlen .*outcome=message-id-in-use" || fail "reuse not audited"
# Dates: a real calendar day or nothing.
last_year=$(( $(date -u +%Y) - 1 ))
for day in "$last_year-02-30" "$last_year-13-01" "$last_year-04-31" "$last_year-2-1" "tomorrow"; do
    set +e
    send $(meld) --consultatie "$day" > "$T/o"; rc=$?
    set -e
    [ $rc -eq 3 ] && grep -q "code=invalid-justification:collegiale-consultatie" "$T/o" \
        || fail "date $day: rc=$rc $(cat "$T/o")"
done
send $(meld) --consultatie "$last_year-02-28" | grep -q '^accepted' || fail "a real date refused"
[ $(( last_year % 4 )) -ne 0 ] || send $(meld) --consultatie "$last_year-02-29" | grep -q '^accepted'
out=$(raw --mode baddate)
[[ $out == "refusal code=invalid-justification:collegiale-consultatie"* ]] || fail "raw 02-30: $out"

# Configuration: an impossible port is an error, for the broker and for an agent.
sed "s|^endpoint = .*|endpoint = tcp://127.0.0.1:99999|" "$T/broker.conf" > "$T/bad-broker.conf"
set +e
"$BROKER_BIN" --config "$T/bad-broker.conf" --check-config > "$T/cc1" 2>&1; r1=$?
sed "s|^endpoint = .*|endpoint = tcp://127.0.0.1:0|" "$T/$G.conf" > "$T/bad-agent.conf"
"$AGENT_BIN" --config "$T/bad-agent.conf" --check-config > "$T/cc2" 2>&1; r2=$?
set -e
[ $r1 -eq 2 ] && grep -q "endpoint = tcp://127.0.0.1:99999: invalid value.*1..65535" "$T/cc1" \
    || fail "broker port 99999: $r1 $(cat "$T/cc1")"
[ $r2 -eq 2 ] && grep -q "invalid value" "$T/cc2" || fail "agent port 0: $r2 $(cat "$T/cc2")"

# An agent pointed at a port nobody listens on: it says so within seconds, and status is not 0.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|^endpoint = .*|endpoint = tcp://127.0.0.1:$port|" -e "s|$T/$G-data|$T/lost-data|" \
    -e "s|$T/$G.sock|$T/lost.sock|" "$T/$G.conf" > "$T/lost.conf"
"$AGENT_BIN" --config "$T/lost.conf" >>"$T/lost.log" 2>&1 &
VN_PIDS+=($!)
wait_for "grep -q 'event=broker-unreachable broker=tcp://127.0.0.1:$port' '$T/lost.log'" 5
set +e
"$VANGNET" status --agent "ipc://$T/lost.sock" > "$T/st"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "connected=no .*reason=broker-unreachable" "$T/st" || fail "status: $rc $(cat "$T/st")"
"$VANGNET" status --agent "$(api $G)" > /dev/null || fail "a connected agent's status must exit 0"
echo "47-true-status: ok"
