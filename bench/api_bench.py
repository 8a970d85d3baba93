#!/usr/bin/env python3
"""api_bench.py -- starts a broker and two agents (the release build) and runs vn-api-bench
against the sender's native local API and its HTTP API in the same run. Run by
`scripts/bench.sh api`; extra arguments go to vn-api-bench (--seconds, --rate, --callers)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "api"))
from harness import Net  # noqa: E402


def main():
    with Net() as net:
        net.org("ggz-mondriaan", "ggz")
        net.org("vt-zuid-limburg", "veilig-thuis")
        url = net.agent("ggz-mondriaan")
        net.agent("vt-zuid-limburg")
        token = net.client("ggz-mondriaan", "bench", "send")
        net.wait_connected(net.api(url, token), 2)
        rc = subprocess.call([os.path.join(os.environ["VN_BUILD"], "bench", "vn-api-bench"),
                              "--agent", "ipc://%s/ggz-mondriaan.sock" % net.t, "--url", url,
                              "--token", token] + sys.argv[1:])
    return rc


if __name__ == "__main__":
    sys.exit(main())
