"""``python -m tests.fuzz``: the fuzzer's command line (see README.md)."""

import sys

from .runner import main

if __name__ == "__main__":
    sys.exit(main())
