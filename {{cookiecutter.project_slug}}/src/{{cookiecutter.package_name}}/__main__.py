"""`python -m <package> <command>`: the same as the project's command line (cli.py)."""

import sys

from {{ cookiecutter.package_name }}.cli import main

if __name__ == "__main__":
    sys.exit(main())
