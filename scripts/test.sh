#!/usr/bin/env bash
# Install everything (Python packages, and PostgreSQL from Debian for the tests that start
# a real server) and run the whole test suite. Extra arguments go to pytest
# (e.g. -m "not slow" for a quick pass).
set -euo pipefail
cd "$(dirname "$0")/.."
APT_NEEDS="postgresql"
source scripts/_install.sh
exec python -m pytest "$@"
