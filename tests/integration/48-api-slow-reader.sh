#!/usr/bin/env bash
# 48: an IT system that sends 5,000 requests before it reads an answer (a pipelining client, or one
# whose reader stalls) still gets every answer: the agent queues up to 10,000 answers for a caller
# that reads slowly instead of dropping them without a word (libzmq's default of 1,000 per
# connection, less while the reader's progress is reported late). Past that bound an answer that
# cannot be queued is logged and counted, never lost silently, and the agent goes on.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
G=ggz-mondriaan
out=$("$VN_APIFLOOD" --api "$(api $G)" --count 5000 --pause-ms 3000 --timeout-ms 20000 || true)
echo "flood: $out"
[ "$out" = "sent=5000 answers=5000" ] || fail "not every request answered: $out"
A_URL=$(cat "$T/$G-data/metrics-address")
curl -sf "$A_URL/metrics" > "$T/metrics"
grep -q '^vangnet_agent_api_replies_dropped_total{reason="caller-slow"} 0$' "$T/metrics" || fail "drops counted: $(grep dropped "$T/metrics")"
# 30,000 before reading: past the 10,000 queued (and what the socket buffers hold) answers are
# dropped, and the agent says so in its log and its metrics.
out=$("$VN_APIFLOOD" --api "$(api $G)" --count 30000 --pause-ms 3000 --timeout-ms 5000 || true)
echo "flood past the bound: $out"
n=${out##*answers=}
[ "$n" -ge 10000 ] && [ "$n" -lt 30000 ] || fail "expected 10,000 to 29,999 answers: $out"
wait_for "grep -q 'event=api-answer-dropped reason=caller-slow' '$T/$G.log'" 10
curl -sf "$A_URL/metrics" > "$T/metrics"
grep -qE '^vangnet_agent_api_replies_dropped_total\{reason="caller-slow"\} [1-9]' "$T/metrics" \
    || fail "drops not counted: $(grep dropped "$T/metrics")"
"$VANGNET" status --agent "$(api $G)" | grep -q "connected" || fail "agent not answering after the flood"
kill -0 "$AGENT_PID_ggz_mondriaan" || fail "agent died"
echo "48-api-slow-reader: ok"
