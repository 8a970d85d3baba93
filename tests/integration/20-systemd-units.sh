#!/usr/bin/env bash
# 20: the systemd units in deploy/systemd are valid: systemd-analyze verify reports nothing (an
# unknown sandboxing option or system call group would be ignored silently by systemd otherwise).
set -euo pipefail
BUILD=${VN_BUILD:?}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/vn-units-XXXXXX")
trap 'rm -rf "$T"' EXIT
cp "$BUILD/broker/vangnet-broker" "$BUILD/agent/vangnet-agent" "$BUILD/pseudonymd/vangnet-pseudonymd" "$T/"
for unit in "$REPO"/deploy/systemd/*.service; do
    sed "s|/usr/local/bin|$T|g" "$unit" > "$T/$(basename "$unit")"
    out=$(systemd-analyze verify "$T/$(basename "$unit")" 2>&1) || { echo "FAIL: $unit: $out" >&2; exit 1; }
    [ -z "$out" ] || { echo "FAIL: $unit: $out" >&2; exit 1; }
done
echo "20-systemd-units: ok"
