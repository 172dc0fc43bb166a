#!/usr/bin/env bash
# Install everything, generate the demo data, run the whole pipeline into
# warehouse/ledgerlens.duckdb and print the summary. Extra arguments go to
# `ledgerlens demo` (e.g. --lines 1000000 --seed 3 --as-of 2026-06-30).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_install.sh
exec ledgerlens demo --data demo-data --warehouse warehouse/ledgerlens.duckdb "$@"
