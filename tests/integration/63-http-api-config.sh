#!/usr/bin/env bash
# 63-http-api-config.sh -- the HTTP API's configuration: a non-loopback listener without TLS is
# refused at --check-config and at start; with TLS it serves HTTPS only; API clients: a token is
# shown once, names are unique, a group-readable clients file admits nobody.
. "$(dirname "$0")/lib.sh"
vn_setup
vn_broker_start
vn_org ggz-mondriaan ggz
VN_AGENT_EXTRA=$'[http_api]\nlisten = 127.0.0.1:0' vn_agent_start ggz-mondriaan
CONF=$T/ggz-mondriaan.conf
DATA=$T/ggz-mondriaan-data

# Refused: a network address without TLS (check-config and start), and half a TLS pair.
awk '/^\[/ {s=$0} s=="[http_api]" && /^listen =/ {$0="listen = 0.0.0.0:0"} {print}' "$CONF" > "$T/open.conf"
grep -q '^listen = 0.0.0.0:0' "$T/open.conf" || fail "test setup"
if "$AGENT_BIN" --config "$T/open.conf" --check-config > "$T/check.out" 2>&1; then
    fail "--check-config accepted a non-loopback HTTP listener without TLS"
fi
grep -q "not a loopback address: it needs tls_cert and tls_key" "$T/check.out" || {
    cat "$T/check.out"; fail "the refusal does not say why"; }
if timeout 10 "$AGENT_BIN" --config "$T/open.conf" > "$T/open.out" 2>&1; then
    fail "the agent started with a non-loopback HTTP listener without TLS"
fi
awk -v c="$T/x.pem" '{print} /^\[http_api\]/ {print "tls_cert = " c}' "$CONF" > "$T/half.conf"
"$AGENT_BIN" --config "$T/half.conf" --check-config > "$T/half.out" 2>&1 && fail "tls_cert alone accepted"
grep -q "tls_cert and tls_key go together" "$T/half.out" || fail "half a TLS pair: $(cat "$T/half.out")"
for bad in "listen = 127.0.0.1" "listen = localhost:80" "listen = 1.2.3.4:99999" "max_connections = 0"; do
    awk -v b="$bad" '{print} /^\[http_api\]/ {print b}' "$CONF" > "$T/bad.conf"
    "$AGENT_BIN" --config "$T/bad.conf" --check-config > "$T/bad.out" 2>&1 && fail "accepted: $bad"
    grep -q "\[http_api\]" "$T/bad.out" || fail "the error for '$bad' does not name the section"
done

# API clients: unique names, valid scopes, the token printed once and never listed.
TOKEN=$("$VANGNET" api-client add epd --scopes send,inbox --data "$DATA" 2>/dev/null)
[[ $TOKEN == vnk_* ]] || fail "no token printed"
"$VANGNET" api-client add epd --scopes inbox --data "$DATA" 2>/dev/null && fail "a duplicate name"
"$VANGNET" api-client add other --scopes everything --data "$DATA" 2>/dev/null && fail "unknown scope"
"$VANGNET" api-client add BAD_NAME --scopes inbox --data "$DATA" 2>/dev/null && fail "bad name"
"$VANGNET" api-client list --data "$DATA" --json > "$T/list.json"
grep -Eq '"name": ?"epd"' "$T/list.json" || fail "list --json"
grep -q "$TOKEN" "$T/list.json" "$DATA/api-clients" && fail "the token is stored or listed"
[ "$(stat -c %a "$DATA/api-clients")" = 600 ] || fail "api-clients is not 0600"
URL=$(cat "$DATA/http-api-address")
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -H "Authorization: Bearer $TOKEN" "$URL/v1/status")" = 200 ] || fail "the token is refused"
chmod 640 "$DATA/api-clients"
[ "$(code -H "Authorization: Bearer $TOKEN" "$URL/v1/status")" = 401 ] ||
    fail "a group-readable clients file still admits clients"
grep -q "event=api-clients-unreadable" "$T/ggz-mondriaan.log" || fail "no log line for the bad file"
chmod 600 "$DATA/api-clients"
touch "$DATA/api-clients"
[ "$(code -H "Authorization: Bearer $TOKEN" "$URL/v1/status")" = 200 ] || fail "not readmitted"
"$VANGNET" api-client revoke epd --data "$DATA" 2>/dev/null
[ "$(code -H "Authorization: Bearer $TOKEN" "$URL/v1/status")" = 401 ] || fail "revoked token admitted"

# TLS on a network address: HTTPS works, plain HTTP does not.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls.key" -out "$T/tls.pem" 2>/dev/null
chmod 600 "$T/tls.key"
vn_agent_kill ggz-mondriaan
VN_AGENT_EXTRA=$'[http_api]\nlisten = 0.0.0.0:0\ntls_cert = '"$T/tls.pem"$'\ntls_key = '"$T/tls.key" \
    vn_agent_start ggz-mondriaan
"$AGENT_BIN" --config "$T/ggz-mondriaan.conf" --check-config | grep -q "with TLS" || fail "check-config with TLS"
URL=$(cat "$DATA/http-api-address")
[[ $URL == https://* ]] || fail "address file says $URL"
PORT=${URL##*:}
[ "$(code --cacert "$T/tls.pem" "https://127.0.0.1:$PORT/v1/health")" = 200 ] || fail "HTTPS health"
curl -s --cacert "$T/tls.pem" -D "$T/h.txt" -o /dev/null "https://127.0.0.1:$PORT/v1/health"
grep -qi "^Strict-Transport-Security:" "$T/h.txt" || fail "no HSTS over TLS"
[ "$(code --max-time 5 "http://127.0.0.1:$PORT/v1/health")" = 200 ] && fail "plain HTTP served"
echo "ok: 63-http-api-config"
