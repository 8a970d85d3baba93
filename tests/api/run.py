#!/usr/bin/env python3
"""run.py -- runs one group of the HTTP API tests: run.py basics|webhooks|fuzz|example.
Each group starts its own broker and agents (harness.py) and ends them by pid."""
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    group = sys.argv[1]
    mod = importlib.import_module("test_" + group)
    t0 = time.time()
    try:
        n = mod.run()
    except Exception:
        traceback.print_exc()
        print("FAIL: %s" % group)
        return 1
    print("ok: %s (%s checks against the OpenAPI document, %.1f s)" % (group, n, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
