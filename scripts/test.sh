#!/usr/bin/env bash
# Install everything the tests need and run them all, in CI's two steps (.ci/run runs this):
#   1. the suite: every test but those of step 2, on four workers (under 15 minutes);
#   2. the slow checks: the tests that start a PostgreSQL server or a local Spark (marks
#      `postgres` and `spark`), the SQL lint (mark `lint`) and ruff, on two workers.
# `--suite` or `--slow-checks` runs one step only. Extra arguments go to pytest in each
# step (e.g. -k risk; -n 0 for one process; a -m of yours replaces the step's own).
# The tests need, from Debian, Chromium (the report's browser test) and for step 2
# PostgreSQL (the tests start a real server) and a Java runtime (a local Spark session).
set -euo pipefail
cd "$(dirname "$0")/.."
step=all
case "${1:-}" in
    --suite | --slow-checks) step="${1#--}" && shift ;;
esac
if [ "$step" = suite ]; then APT_NEEDS="chromium"; else APT_NEEDS="postgresql chromium java"; fi
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
# Step 1 on four workers on two cores, each taking whole files (so a file's module
# fixtures are built once) except test_fuzz.py's short tests, taken one by one at the end
# (tests/conftest.py's scheduler): a pipeline run waits on its dbt subprocess and many
# tests on a server (dagster dev, a schedule). Two workers left a quarter of the two
# cores idle (45.5 CPU minutes in a 29.7-minute suite); three left 1.62 of the two cores
# busy on average (2,080 s, 56.7 CPU-minutes, 2026-12-03).
# --no-loadscope-reorder keeps tests/conftest.py's order (the longest files first): by
# default pytest-xdist 3 queues files by their number of tests, most first, so
# test_fuzz.py's 449 quick tests went first and the longest files near the end.
# Step 2 apart (DECISIONLOG.md 2026-12-04 "The suite in two steps"): the Spark run alone
# took 1,051 s of a 1,558-s suite on its four workers, waiting on its JVMs.
step_done() { echo "ledgerlens tests: step $1 took $((SECONDS - $2)) s" >&2; }
# pytest's exit code 5, no test selected (a -k that matches only the other step's tests)
tests_were_elsewhere() { local code=$?; [ "$code" -eq 5 ] || exit "$code"; }
if [ "$step" != slow-checks ]; then
    started=$SECONDS
    python -m pytest -n 4 --dist loadfile --no-loadscope-reorder -m "not postgres and not spark and not lint" "$@" \
        || tests_were_elsewhere
    step_done "1 (the suite)" "$started"
fi
if [ "$step" != suite ]; then
    started=$SECONDS
    ruff check . && ruff format --check .
    python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -m "postgres or spark or lint" "$@" \
        || tests_were_elsewhere
    step_done "2 (the slow checks)" "$started"
fi
