#!/usr/bin/env bash
# Install everything the tests need and run them all, as CI does (.ci/run runs this), in
# two steps, each timed:
#   1. the suite: ruff, then every test but the engine tests (the SQL lint included);
#   2. the engine tests: marks `postgres` and `spark`, which start a real PostgreSQL
#      server and a local Spark.
#   --suite    step 1 only (the full pass while you work)
#   --engines  step 2 only
# Extra arguments go to pytest in each step (e.g. -k risk; -n 0 for one process). A -m of
# yours replaces the step's own, so give it with --suite or --engines: without either,
# both steps run the tests it selects. The tests need, from Debian, Chromium (the report's
# browser test), PostgreSQL (the tests start a real server) and a Java runtime (a local
# Spark).
set -euo pipefail
cd "$(dirname "$0")/.."
step=all
case "${1:-}" in
    --suite | --engines) step="${1#--}" && shift ;;
esac
case "$step" in
    suite) APT_NEEDS="chromium" ;;
    engines) APT_NEEDS="postgresql java" ;;
    *) APT_NEEDS="postgresql chromium java" ;;
esac
caller_arguments=$#
source scripts/_install.sh
# The tests' temporary files (warehouses, build copies, Dagster homes, the PostgreSQL
# data folder) go to RAM when /dev/shm has room: a pipeline run on 8,000 lines took 51 s
# with them on this machine's disk, whose syncs DuckDB and SQLite wait for, and 31-35 s
# in /dev/shm. A full suite writes about 2 GB; 6 GB free is asked for, else the disk serves.
made=()  # the folders made here, removed at the end
trap 'rm -rf "${made[@]}"' EXIT
if [ -z "${LEDGERLENS_TEST_TMP:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] \
    && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt $((6 * 1024 * 1024)) ]; then
    LEDGERLENS_TEST_TMP="$(mktemp -d /dev/shm/ledgerlens-tests.XXXXXX)"
    # Traversable by the postgres user the PostgreSQL tests start their server as.
    chmod 755 "$LEDGERLENS_TEST_TMP"
    made+=("$LEDGERLENS_TEST_TMP")
fi
if [ -n "${LEDGERLENS_TEST_TMP:-}" ]; then
    export TMPDIR="$LEDGERLENS_TEST_TMP"
fi
# The shared runs of the tests (tests/conftest.py, _shared_folder) in one folder for both
# steps: the engine tests compare with DuckDB runs the suite has made.
if [ -z "${LEDGERLENS_SHARED_RUNS:-}" ]; then
    LEDGERLENS_SHARED_RUNS="$(mktemp -d)"
    made+=("$LEDGERLENS_SHARED_RUNS")
    export LEDGERLENS_SHARED_RUNS
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
# Two steps, not one pytest for everything, so that the suite has a time of its own, kept
# under 15 minutes (issue 19), with the tests that start an engine in a step of their own.
# A clean clone of 34f3177 on this 2-core machine: the suite 785 s, the engine tests
# 335 s (their Spark test 312 s), 1,129 s in all against 1,097-1,099 s for one pytest of
# everything at cad4ef5 (DECISIONLOG.md, 2026-12-04 (evening)). Both steps run even when
# the first fails, so that one CI run reports every failure.
run_tests() {  # $1: the step's name; the rest: pytest's arguments
    local name=$1 started=$SECONDS status=0
    shift
    python -m pytest -n 4 --dist loadfile --no-loadscope-reorder "$@" || status=$?
    # pytest's 5 is "no test collected": a -k or -m of the caller's that selects only
    # the other step's tests.
    if [ "$status" = 5 ] && [ "$caller_arguments" -gt 0 ]; then status=0; fi
    echo "ledgerlens tests ($name): $((SECONDS - started)) s, exit status $status" >&2
    return "$status"
}
status=0
if [ "$step" != engines ]; then
    ruff check . && ruff format --check .
    run_tests suite -m "not postgres and not spark" "$@" || status=$?
fi
if [ "$step" != suite ]; then
    run_tests engines -m "postgres or spark" "$@" || status=$?
fi
exit "$status"
