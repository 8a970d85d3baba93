#!/usr/bin/env bash
# 33: someone on the broker host opens 900 idle connections to the loopback HTTP endpoint and keeps
# a slowloris going (a header byte every second): /healthz still answers at once, so an
# orchestrator does not kill a healthy broker, and agents keep exchanging reports meanwhile.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
B_URL=$(cat "$T/broker-data/metrics-address")
port=${B_URL##*:}
cat > "$T/idle.py" <<'PY'
import socket, sys, time
port, n, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
idle, slow = [], []
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        continue
    (slow if i % 10 == 0 else idle).append(s)
    if i % 10 == 0:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
print("open", len(idle) + len(slow), flush=True)
end = time.time() + seconds
while time.time() < end:
    for s in slow:
        try:
            s.sendall(b"X")
        except OSError:
            pass
    time.sleep(1)
PY
python3 "$T/idle.py" "$port" 900 15 > "$T/idle.out" &
P=$!
VN_PIDS+=("$P")
wait_for "grep -q open '$T/idle.out'" 20
echo "attacker: $(cat "$T/idle.out")"
for i in 1 2 3 4 5; do
    t0=$(date +%s%N)
    curl -sf --max-time 5 "$B_URL/healthz" | grep -q ok || fail "/healthz unreachable under the idle flood"
    echo "healthz answered in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    sleep 1
done
echo "synthetic: zorgen" > "$T/m.txt"
"$VANGNET" send --agent "$(api ggz-mondriaan)" --to vt-zuid-limburg --subject $BSN $MELD \
    --file "$T/m.txt" --wait 20 | grep -q '^accepted' || fail "report not accepted during the flood"
wait_for "curl -sf --max-time 5 '$B_URL/metrics' | grep -q '^vangnet_broker_deliveries_total 1$'" 20
kill -0 "$BROKER_PID" || fail "broker died"
echo "33-hostile-http: ok"
