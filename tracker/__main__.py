"""`python -m tracker` runs the `beian` command line."""

from tracker.cli import main

main()
