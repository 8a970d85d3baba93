#!/usr/bin/env bash
# 65-http-api-outcomes.sh -- idempotent resend by clientRef (also across kill -9 of the agent),
# outcome lookup by messageId and clientRef, queued then accepted, the API client in the audit
# record, all through HTTP (tests/api/test_outcomes.py).
set -euo pipefail
: "${VN_BUILD:?VN_BUILD must point at the build directory}"
exec python3 "$(dirname "$0")/../api/run.py" outcomes
