#!/usr/bin/env bash
# 62-http-api-fuzz.sh -- the HTTP API through Python (tests/api/test_fuzz.py): a real broker and agents, driven
# only over HTTP, every answer checked against the published OpenAPI document.
set -euo pipefail
: "${VN_BUILD:?VN_BUILD must point at the build directory}"
exec python3 "$(dirname "$0")/../api/run.py" fuzz
