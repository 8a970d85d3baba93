#!/usr/bin/env bash
# 67-http-api-signals.sh -- signals, matches and coordination through the HTTP API only
# (tests/api/test_signals.py): a real broker and three agents, every answer checked against the
# published OpenAPI document.
set -euo pipefail
: "${VN_BUILD:?VN_BUILD must point at the build directory}"
exec python3 "$(dirname "$0")/../api/run.py" signals
