#!/usr/bin/env bash
# 64-http-api-example.sh -- examples/python/adapter.py against a real broker and agents
# (tests/api/test_example.py): share a file, receive it by webhook, store it, acknowledge it.
set -euo pipefail
: "${VN_BUILD:?VN_BUILD must point at the build directory}"
exec python3 "$(dirname "$0")/../api/run.py" example
