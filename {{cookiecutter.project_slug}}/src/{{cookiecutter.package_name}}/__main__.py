"""`python -m {{ cookiecutter.package_name }} <command>`: the same as `{{ cookiecutter.project_slug }} <command>`."""

import sys

from {{ cookiecutter.package_name }}.cli import main

if __name__ == "__main__":
    sys.exit(main())
