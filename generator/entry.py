"""The console script's entry point: signal handling first, then the CLI.

Importing the CLI (Click, Jinja, PyYAML, python-hcl2) takes most of a run; a Ctrl-C during it
used to print a traceback. This module imports nothing heavy before setting the handlers.
"""

import os
import signal
import sys


def _interrupted(signum, frame):
    # SystemExit unwinds quietly, running `with` and `finally` clean-ups on the way (the writer
    # holds SIGINT while it renames, so this never lands between two renames).
    sys.exit(130)


def _standard_streams() -> None:
    """A closed standard input reads as empty: /dev/null takes descriptor 0. A closed standard
    output or error (``2>&-``) is refused, exit 1, before anything is done: tapgen's report would
    be lost, and a file it opens would take the descriptor."""
    if sys.stdin is None:
        sys.stdin = open(os.devnull)  # noqa: SIM115 (for the life of the process)
    closed = [name for name, stream in (("standard output", sys.stdout), ("standard error", sys.stderr))
              if stream is None]
    if closed:
        for stream in (sys.stderr, sys.stdout):
            if stream is not None:
                print(f"tapgen: {closed[0]} is closed; redirect it instead (to /dev/null to discard it)",
                      file=stream)
                break
        sys.exit(1)


def main() -> None:
    _standard_streams()
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a closed pipe (`| head`) ends the program quietly
    from .cli import run

    run()
