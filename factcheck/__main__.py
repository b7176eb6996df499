"""`python -m factcheck`: the command line."""

from factcheck.cli.main import main

main()
