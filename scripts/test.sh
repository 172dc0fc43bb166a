#!/usr/bin/env bash
# Install everything (Python packages; from Debian, PostgreSQL for the tests that start
# a real server, Chromium for the report's browser test and a Java runtime for the tests
# that start a local Spark session) and run the whole test suite. Extra arguments go to pytest
# (e.g. -m "not slow" for a quick pass, -n 0 for one process).
set -euo pipefail
cd "$(dirname "$0")/.."
APT_NEEDS="postgresql chromium java"
source scripts/_install.sh
# The tests' temporary files (warehouses, build copies, Dagster homes, the PostgreSQL
# data folder) go to RAM when /dev/shm has room: a pipeline run on 8,000 lines took 51 s
# with them on this machine's disk, whose syncs DuckDB and SQLite wait for, and 31-35 s
# in /dev/shm. A full suite writes about 2 GB; 6 GB free is asked for, else the disk serves.
if [ -z "${LEDGERLENS_TEST_TMP:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] \
    && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt $((6 * 1024 * 1024)) ]; then
    LEDGERLENS_TEST_TMP="$(mktemp -d /dev/shm/ledgerlens-tests.XXXXXX)"
    # Traversable by the postgres user the PostgreSQL tests start their server as.
    chmod 755 "$LEDGERLENS_TEST_TMP"
    trap 'rm -rf "$LEDGERLENS_TEST_TMP"' EXIT
fi
if [ -n "${LEDGERLENS_TEST_TMP:-}" ]; then
    export TMPDIR="$LEDGERLENS_TEST_TMP"
fi
# Four workers on two cores, each taking whole files (so a file's module fixtures are
# built once) except test_fuzz.py's short tests, taken one by one at the end
# (tests/conftest.py's scheduler): a pipeline run waits on its dbt subprocess,
# test_spark.py on its JVMs and many tests on a server (dagster dev, PostgreSQL, a
# schedule). Two workers left a
# quarter of the two cores idle (45.5 CPU minutes in a 29.7-minute suite); three left 1.62
# of the two cores busy on average (2,080 s, 56.7 CPU-minutes, 2026-12-03).
# --no-loadscope-reorder keeps tests/conftest.py's order (the longest files first): by
# default pytest-xdist 3 queues files by their number of tests, most first, so
# test_fuzz.py's 449 quick tests went first and the longest files near the end.
python -m pytest -n 4 --dist loadfile --no-loadscope-reorder "$@"
