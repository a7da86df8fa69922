"""The console script's entry point: signal handling first, then the CLI.

Importing the CLI (Click, Jinja, PyYAML, python-hcl2) takes most of a run; a Ctrl-C during it
used to print a traceback. This module imports nothing heavy before setting the handlers.
"""

import signal
import sys


def _interrupted(signum, frame):
    # SystemExit unwinds quietly, running `with` and `finally` clean-ups on the way (the writer
    # holds SIGINT while it renames, so this never lands between two renames).
    sys.exit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a closed pipe (`| head`) ends the program quietly
    from .cli import run

    run()
