#!/usr/bin/env bash
# 48: an IT system that sends 5,000 requests before it reads an answer (a pipelining client, or one
# whose reader stalls) still gets every answer: the agent queues answers for a caller that reads
# slowly instead of dropping them without a word (libzmq's default of 1,000 per connection, less
# while the reader's progress is reported late). Past the agent's bound (100,000 per caller) an
# answer that cannot be queued is logged and counted, never lost silently.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
G=ggz-mondriaan
out=$("$VN_APIFLOOD" --api "$(api $G)" --count 5000 --pause-ms 3000 --timeout-ms 20000 || true)
echo "flood: $out"
[ "$out" = "sent=5000 answers=5000" ] || fail "not every request answered: $out"
A_URL=$(cat "$T/$G-data/metrics-address")
curl -sf "$A_URL/metrics" > "$T/metrics"
grep -q '^vangnet_agent_api_replies_dropped_total{reason="caller-slow"} 0$' "$T/metrics" || fail "drops counted: $(grep dropped "$T/metrics")"
# A caller that goes away before its answers: they are dropped and counted, the agent goes on.
"$VN_APIFLOOD" --api "$(api $G)" --count 200 --pause-ms 0 --timeout-ms 1 > /dev/null || true
"$VANGNET" status --agent "$(api $G)" | grep -q "connected" || fail "agent not answering after the flood"
kill -0 "$AGENT_PID_ggz_mondriaan" || fail "agent died"
echo "48-api-slow-reader: ok"
