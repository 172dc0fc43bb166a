#!/usr/bin/env bash
# Install everything (Python packages, and PostgreSQL from Debian for the tests that start
# a real server) and run the whole test suite. Extra arguments go to pytest
# (e.g. -m "not slow" for a quick pass, -n 0 for one process).
set -euo pipefail
cd "$(dirname "$0")/.."
APT_NEEDS="postgresql"
source scripts/_install.sh
# Two workers, each taking whole files (module fixtures are built once): a pipeline run
# waits on its dbt subprocess, so a single process leaves a core idle.
exec python -m pytest -n 2 --dist loadfile "$@"
