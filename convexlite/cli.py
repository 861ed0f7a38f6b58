"""The `convexlite` command (filled in by the server work)."""

import sys


def main() -> int:
    print("convexlite: no commands yet", file=sys.stderr)
    return 2
