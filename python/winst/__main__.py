"""``python -m winst ARGS``: runs the ``winst`` binary with ARGS and exits with its status."""

import os
import sys

from winst import find_winst_bin


def _run():
    winst = find_winst_bin()
    if sys.platform == "win32":  # pragma: no cover - winst refuses Windows at startup
        import subprocess

        sys.exit(subprocess.call([winst, *sys.argv[1:]]))
    os.execv(winst, [winst, *sys.argv[1:]])


if __name__ == "__main__":
    _run()
