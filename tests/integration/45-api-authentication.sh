#!/usr/bin/env bash
# 45: only the agency's own systems speak for it. Every local API transport authenticates its
# caller: ipc:// by the socket file's permissions (owner and group), tcp:// by a credential from a
# 0600 token file; a local user without it is refused on both, at once and with a clear code
# (exit 6); the caller's name is recorded in the audit record beside the professional's user id;
# and who shares is never guessed (--user/--role).
. "$(dirname "$0")/lib.sh"
vn_setup_pair
G=ggz-mondriaan
echo "synthetic: zorgen" > "$T/m.txt"
sock="$T/$G.sock"

# ipc: the socket is the owner's and its group's only.
mode=$(stat -c %a "$sock")
[ $(( 0$mode & 07 )) -eq 0 ] || fail "API socket is open to others: $mode"
"$VANGNET" status --agent "$(api $G)" | grep -q "caller=uid:$(id -u)" || fail "ipc caller name"
if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$T"                   # let the other user reach the socket file itself
    for verb in status inbox; do
        set +e
        setpriv --reuid=65534 --regid=65534 --clear-groups "$VANGNET" $verb --agent "$(api $G)" \
            > "$T/nobody.out" 2> "$T/nobody.err"; rc=$?
        set -e
        [ $rc -eq 6 ] && grep -q unauthenticated "$T/nobody.err" \
            || fail "ipc $verb as nobody: rc=$rc $(cat "$T/nobody.err")"
    done
    set +e
    setpriv --reuid=65534 --regid=65534 --clear-groups "$VANGNET" send --agent "$(api $G)" \
        --to vt-zuid-limburg --subject $BSN $MELD --user x --role y --file - < "$T/m.txt" \
        2> "$T/nobody.err"; rc=$?
    set -e
    [ $rc -eq 6 ] || fail "ipc send as nobody: rc=$rc $(cat "$T/nobody.err")"
    chmod 700 "$T"
else
    echo "45: not root: the ipc refusal of another user is checked by the socket's mode only"
fi

# tcp: refused without api_clients, then only with a valid credential.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
vn_agent_kill $G
sed -i "s|^api = .*|api = tcp://127.0.0.1:$port|" "$T/$G.conf"
set +e
"$AGENT_BIN" --config "$T/$G.conf" --check-config > "$T/cc.out" 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "needs api_clients" "$T/cc.out" || fail "tcp API without credentials: $rc $(cat "$T/cc.out")"
"$VANGNET" api-client add --clients "$T/api-clients" --name erp-zorgdossier --out "$T/erp.token" >/dev/null
[ "$(stat -c %a "$T/erp.token")" = 600 ] || fail "token file mode"
set +e
"$VANGNET" api-client add --clients "$T/api-clients" --name other --out "$T/erp.token" 2> "$T/e"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "never overwritten" "$T/e" || fail "token file overwritten: $rc $(cat "$T/e")"
grep -q "$(awk '{print $3}' "$T/erp.token")" "$T/api-clients" && fail "the agent's file holds the secret"
sed -i "s|^\[agent\]|[agent]\napi_clients = $T/api-clients|" "$T/$G.conf"
"$AGENT_BIN" --config "$T/$G.conf" >>"$T/$G.log" 2>&1 &
VN_PIDS+=($!)
EP="tcp://127.0.0.1:$port"
wait_for "'$VANGNET' status --agent '$EP' --token-file '$T/erp.token' | grep -q connected=yes" 20
# No credential, a wrong one, one others may read: refused, each at once.
awk '{print $1, $2, "00" substr($3, 3)}' "$T/erp.token" > "$T/wrong.token"; chmod 600 "$T/wrong.token"
cp "$T/erp.token" "$T/open.token"; chmod 644 "$T/open.token"
for try in none wrong; do
    args=(); [ $try = wrong ] && args=(--token-file "$T/wrong.token")
    start=$(date +%s)
    set +e
    "$VANGNET" send --agent "$EP" "${args[@]}" --to vt-zuid-limburg --subject $BSN $MELD \
        --user j.devries --role arts --file "$T/m.txt" > /dev/null 2> "$T/tcp.err"; rc=$?
    set -e
    [ $rc -eq 6 ] && grep -q unauthenticated "$T/tcp.err" || fail "tcp $try: rc=$rc $(cat "$T/tcp.err")"
    [ $(( $(date +%s) - start )) -lt 8 ] || fail "tcp $try: refused only after a timeout"
done
grep -q "event=api-caller-refused transport=tcp .*reason=bad-credential" "$T/$G.log" || fail "not logged"
set +e
"$VANGNET" status --agent "$EP" --token-file "$T/open.token" 2> "$T/open.err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "must not be readable by group or others" "$T/open.err" \
    || fail "world-readable token used: $rc $(cat "$T/open.err")"
# Who shares is never guessed.
set +e
env -u VANGNET_USER -u VANGNET_ROLE "$VANGNET" send --agent "$EP" --token-file "$T/erp.token" \
    --to vt-zuid-limburg --subject $BSN $MELD --file "$T/m.txt" 2> "$T/nouser.err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "missing --user" "$T/nouser.err" || fail "no --user: rc=$rc $(cat "$T/nouser.err")"
# With the credential: sent, and the audit record names the caller beside the professional.
VANGNET_TOKEN_FILE="$T/erp.token" "$VANGNET" send --agent "$EP" --to vt-zuid-limburg \
    --subject $BSN $MELD --user j.devries --role arts --file "$T/m.txt" | grep -q '^accepted' \
    || fail "send with the credential"
audit_grep -qE "ACCEPTED +actor=$G user=j.devries role=arts .*caller=client:erp-zorgdossier" \
    || fail "caller not audited: $(audit_grep ACCEPTED)"
"$VANGNET" audit show --json --data "$T/broker-data" > "$T/audit.json"
grep -qE '"api_caller": ?"client:erp-zorgdossier"' "$T/audit.json" \
    || fail "caller not in the JSON record"
echo "45-api-authentication: ok"
