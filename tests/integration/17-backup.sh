#!/usr/bin/env bash
# 17: a hot backup taken while notifications flow, restored into a new broker: the copy's audit
# log verifies (signatures too), and the new broker delivers what was queued in it.
. "$(dirname "$0")/lib.sh"
vn_setup_pair
vn_agent_kill vt-zuid-limburg   # its deliveries wait in the broker's queue
vn_send_many 40
queued_now() {
    "$VANGNET" broker status --data "$T/broker-data" --json |
        python3 -c 'import json,sys; print(sum(q["queued"] for q in json.load(sys.stdin)["queues"]))'
}
wait_for '[ "$(queued_now)" -ge 5 ]' 30
"$VANGNET" backup --data "$T/broker-data" --out "$T/backup.mdb" > "$T/backup.txt" || fail "backup"
grep -q "sha256 [0-9a-f]\{64\}" "$T/backup.txt" || fail "backup output: $(cat "$T/backup.txt")"
[ "$(stat -c %a "$T/backup.mdb")" = 600 ] || fail "backup file mode"
wait "$SENDER" || fail "sender failed"
# A backup never overwrites.
if "$VANGNET" backup --data "$T/broker-data" --out "$T/backup.mdb" 2>/dev/null; then
    fail "backup overwrote a file"
fi
audit_grep -q "AUDIT_READ .*role=operator.*command=backup" || fail "the backup was not logged as an access"
vn_broker_kill TERM

# Restore into a new directory; the audit log is verified on the way in.
"$VANGNET" restore --in "$T/backup.mdb" --data "$T/restored" --broker-public "$T/keys/broker.public" \
    > "$T/restore.txt" || fail "restore: $(cat "$T/restore.txt")"
grep -q "audit log intact.*signatures checked" "$T/restore.txt" || fail "restore output: $(cat "$T/restore.txt")"
queued=$(sed -n 's/.* \([0-9]*\) deliveries queued$/\1/p' "$T/restore.txt")
[ "${queued:-0}" -ge 5 ] && [ "$queued" -le 40 ] || fail "queued in backup: ${queued:-none}"
if "$VANGNET" restore --in "$T/backup.mdb" --data "$T/restored" 2>/dev/null; then
    fail "restore over an existing store"
fi

# A new broker on the restored store, its own port; Veilig Thuis's agent connects to it.
sed "s|^data = .*|data = $T/restored|" "$T/broker.conf" > "$T/broker2.conf"
"$BROKER_BIN" --config "$T/broker2.conf" >>"$T/broker2.log" 2>&1 &
VN_PIDS+=("$!")
wait_for "[ -s '$T/restored/endpoint' ]"
BROKER_EP=$(cat "$T/restored/endpoint")
vn_agent_start vt-zuid-limburg
wait_for "'$VANGNET' status --agent '$(api vt-zuid-limburg)' | grep -q 'inbox=$queued '" 30
"$VANGNET" audit verify --data "$T/restored" --broker-public "$T/keys/broker.public" | grep -q intact \
    || fail "restored log does not verify after deliveries"
echo "17-backup: $queued queued deliveries restored and delivered: ok"
