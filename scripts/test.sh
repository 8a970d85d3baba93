#!/usr/bin/env bash
# test.sh -- install what is missing, build with ASan+UBSan and -Werror, run every test,
# and end with one line "N passed, N failed" taken from build/meson-logs/testlog.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
# promtool checks the metrics output; npm brings the FHIR R4 validator (tests/integration/81);
# Go's sumdb/note and sumdb/tlog check the log as an outsider would (tests/go, test 82); PyNaCl
# runs the third-party recipe of docs/audit.md (test 83).
vn_install_deps prometheus golang-go golang-golang-x-mod-dev python3-nacl
# Node's own builds ship npm inside the nodejs package; Debian's nodejs needs Debian's npm.
command -v npm >/dev/null || vn_install_deps nodejs npm

if [ -f build/build.ninja ]; then
    meson configure build -Db_sanitize=address,undefined -Dwerror=true -Dtests=enabled >/dev/null
else
    meson setup build -Db_sanitize=address,undefined -Dwerror=true -Dtests=enabled >/dev/null
fi
ninja -C build

# Leak checks stay on; protobuf-c and libzmq keep nothing we must ignore.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
meson test -C build --print-errorlogs --num-processes 2 || status=$?

python3 - <<'PY'
import json
passed = failed = 0
with open("build/meson-logs/testlog.json") as log:
    for line in log:
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL", "SKIP"):
            passed += result != "SKIP"
        else:
            failed += 1
print(f"{passed} passed, {failed} failed")
PY
exit $status
