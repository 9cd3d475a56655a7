"""`beian`: the command line. `main` is the console entry point (`tracker.cli:main`).

`main.py` holds the group and turns errors into exit codes, `context.py` what every command gets,
`commands/<group>.py` the commands and `text/<group>.py` their human-readable output; the JSON shapes
are in `tracker.domain.json`.
"""

from tracker.cli.main import main

__all__ = ["main"]
