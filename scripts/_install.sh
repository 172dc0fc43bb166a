# Sourced by demo.sh and test.sh: install what is missing (Debian packages named in
# APT_NEEDS plus Python 3.11), create .venv and install the locked Python dependencies.
# Idempotent: a second run installs nothing new.
set -euo pipefail

apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "missing Debian packages: $*; install them (apt-get install $*) and rerun" >&2
            exit 1
        fi
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

missing=()
if ! command -v python3.11 >/dev/null 2>&1 \
    && ! python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    missing+=(python3.11 python3.11-venv)
fi
for need in ${APT_NEEDS:-}; do
    case "$need" in
        postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql) ;;
        # pyspark 4 runs on Java 17 or later: any `java` on PATH will do, else Debian's.
        java) command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless) ;;
        *) dpkg -s "$need" >/dev/null 2>&1 || missing+=("$need") ;;
    esac
done
if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv || { apt_install python3.11-venv && "$PYTHON" -m venv .venv; }
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check uv
.venv/bin/python -m uv pip install --quiet --python .venv/bin/python -r requirements.lock
.venv/bin/python -m uv pip install --quiet --python .venv/bin/python --no-deps -e .
# Byte-compile the installed packages once. uv installs without .pyc files, and where
# PYTHONDONTWRITEBYTECODE is set (as on these machines) Python never writes them either,
# so every process, including each dbt subprocess, compiled dbt, Dagster and GX from source
# on every start: about 10 s of a 20,000-line run. Up-to-date files are skipped (2 s).
.venv/bin/python -m compileall -q -j 0 \
    "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null
export PATH="$PWD/.venv/bin:$PATH"
