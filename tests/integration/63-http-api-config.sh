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

# Client certificates: issued by the CA tls_client_ca names, the CN a registered API client.
"$VANGNET" api-client add case-system --scopes inbox --data "$DATA" >/dev/null 2>&1 || fail "client"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Test CA" \
    -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Other CA" \
    -keyout "$T/other-ca.key" -out "$T/other-ca.pem" 2>/dev/null
client_cert() {  # client_cert NAME CN CA
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
        -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
    openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" -CAkey "$T/$3.key" -CAcreateserial \
        -days 2 -extfile <(printf 'extendedKeyUsage=clientAuth\n') -out "$T/$1.pem" 2>/dev/null
}
client_cert good case-system ca
client_cert stranger unknown-system ca
client_cert forged case-system other-ca
awk -v c="$T/ca.pem" '{print} /^\[http_api\]/ {print "tls_client_ca = " c}' "$T/ggz-mondriaan.conf" \
    > "$T/cert.conf"
awk '!/^tls_(cert|key) =/ {sub(/^listen = 0\.0\.0\.0:0/, "listen = 127.0.0.1:0"); print}' "$T/cert.conf" > "$T/nocert.conf"
"$AGENT_BIN" --config "$T/nocert.conf" --check-config > "$T/nocert.out" 2>&1 && fail "tls_client_ca without TLS"
grep -q "tls_client_ca needs tls_cert" "$T/nocert.out" || fail "no reason: $(cat "$T/nocert.out")"
cp "$T/cert.conf" "$T/ggz-mondriaan.conf"
vn_agent_kill ggz-mondriaan
VN_AGENT_EXTRA=$'[http_api]\nlisten = 0.0.0.0:0\ntls_cert = '"$T/tls.pem"$'\ntls_key = '"$T/tls.key"$'\ntls_client_ca = '"$T/ca.pem" \
    vn_agent_start ggz-mondriaan
"$AGENT_BIN" --config "$T/ggz-mondriaan.conf" --check-config | grep -q "with TLS and client certificates" \
    || fail "check-config with client certificates"
URL=$(cat "$DATA/http-api-address")
S="https://127.0.0.1:${URL##*:}"
tls() { code --cacert "$T/tls.pem" "$@"; }
[ "$(tls --cert "$T/good.pem" --key "$T/good.key" "$S/v1/inbox")" = 200 ] || fail "the client certificate is refused"
[ "$(tls --cert "$T/good.pem" --key "$T/good.key" "$S/v1/consents")" = 403 ] || fail "the certificate got scopes its client has not"
[ "$(tls "$S/v1/inbox")" = 401 ] || fail "no certificate and no token admitted"
[ "$(tls --cert "$T/stranger.pem" --key "$T/stranger.key" "$S/v1/inbox")" = 401 ] || fail "an unregistered CN admitted"
[ "$(tls --cert "$T/forged.pem" --key "$T/forged.key" "$S/v1/inbox")" = 401 ] || fail "another CA's certificate admitted"
grep -q 'event=api-auth-failed reason="the client certificate does not verify' "$T/ggz-mondriaan.log" || fail "no reason logged"
TOKEN2=$("$VANGNET" api-client add epd2 --scopes inbox --data "$DATA" 2>/dev/null)
[ "$(tls -H "Authorization: Bearer $TOKEN2" "$S/v1/inbox")" = 200 ] || fail "tokens no longer work beside certificates"
"$VANGNET" api-client revoke case-system --data "$DATA" 2>/dev/null
[ "$(tls --cert "$T/good.pem" --key "$T/good.key" "$S/v1/inbox")" = 401 ] || fail "a revoked client's certificate admitted"
echo "ok: 63-http-api-config"
