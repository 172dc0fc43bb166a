# Sourced by demo.sh and test.sh: create .venv and install the locked dependencies.
# Needs only Python 3.11 with venv (apt: python3.11 python3.11-venv) and network access
# to PyPI. Idempotent: a second run installs nothing new.
set -euo pipefail
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "ledgerlens needs Python 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check uv
.venv/bin/python -m uv pip install --quiet --python .venv/bin/python -r requirements.lock
.venv/bin/python -m uv pip install --quiet --python .venv/bin/python --no-deps -e .
export PATH="$PWD/.venv/bin:$PATH"
