#!/usr/bin/env bash
# Install everything and run the whole test suite (unit, dbt, Dagster, CLI, slow runs).
# Extra arguments go to pytest (e.g. -m "not slow" for a quick pass).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_install.sh
exec python -m pytest "$@"
