#!/usr/bin/env bash
# 66-cli-json.sh -- the agency verbs' --json prints the HTTP API's shapes, validated against the
# same OpenAPI document (tests/api/test_cli_json.py).
set -euo pipefail
: "${VN_BUILD:?VN_BUILD must point at the build directory}"
exec python3 "$(dirname "$0")/../api/run.py" cli_json
