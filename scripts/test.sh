#!/usr/bin/env bash
# Install everything the tests need and run them all, as CI does (.ci/run runs this).
#   --suite        every test but the slow checks (the quick full pass while you work)
#   --slow-checks  ruff, the SQL lint (mark `lint`) and the tests that start a PostgreSQL
#                  server or a local Spark (marks `postgres` and `spark`)
# Extra arguments go to pytest (e.g. -k risk; -n 0 for one process; a -m of yours
# replaces the step's own). The tests need, from Debian, Chromium (the report's browser
# test), PostgreSQL (the tests start a real server) and a Java runtime (a local Spark).
set -euo pipefail
cd "$(dirname "$0")/.."
step=all
case "${1:-}" in
    --suite | --slow-checks) step="${1#--}" && shift ;;
esac
select=()
case "$step" in
    suite) APT_NEEDS="chromium" && select=(-m "not postgres and not spark and not lint") ;;
    slow-checks) APT_NEEDS="postgresql java" && select=(-m "postgres or spark or lint") ;;
    *) APT_NEEDS="postgresql chromium java" ;;
esac
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
# schedule). Two workers left a quarter of the two cores idle (45.5 CPU minutes in a
# 29.7-minute suite); three left 1.62 of the two cores busy on average (2,080 s, 56.7
# CPU-minutes, 2026-12-03).
# --no-loadscope-reorder keeps tests/conftest.py's order (the longest files first): by
# default pytest-xdist 3 queues files by their number of tests, most first, so
# test_fuzz.py's 449 quick tests went first and the longest files near the end.
# One pytest for everything, not the two steps one after the other: they took 1,213 s
# and 746 s (the Spark run alone 725 s), against 1,558 s for all of it in one
# (DECISIONLOG.md 2026-12-04, "The suite and the slow checks").
if [ "$step" != suite ]; then
    ruff check . && ruff format --check .
fi
started=$SECONDS
python -m pytest -n 4 --dist loadfile --no-loadscope-reorder "${select[@]}" "$@"
echo "ledgerlens tests ($step): $((SECONDS - started)) s" >&2
