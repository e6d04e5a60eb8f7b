#!/usr/bin/env bash
# The project's test command: ./scripts/test.sh [pytest args...]
#
# Installs what the tests need (PostgreSQL server binaries via apt, a .venv with the
# project and its test extras), then runs ruff, ruff format --check, mypy, the import
# contracts (import-linter) and pytest,
# stopping at the first failure.
#
# Environment:
#   REDEBOT_SKIP_POSTGRES=1  do not install PostgreSQL; its tests are skipped
#   CI=true                  Postgres tests fail instead of skipping (REDEBOT_REQUIRE_POSTGRES=1)
#   PYTHON=python3.12        interpreter for a new .venv (default: first python3 >= 3.11)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- PostgreSQL server binaries (the tests start their own server) ---------------------------
have_postgres() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x $dir/initdb && -x $dir/pg_ctl ]] && return 0
    done
    command -v initdb >/dev/null && command -v pg_ctl >/dev/null
}

install_postgres() {
    local -a sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || return 1
        sudo=(sudo)
        [[ -t 0 ]] || sudo+=(-n) # no terminal: never wait for a password
    fi
    command -v apt-get >/dev/null || return 1
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends postgresql
}

if [[ ${REDEBOT_SKIP_POSTGRES:-} == 1 ]]; then
    step "PostgreSQL: skipped (REDEBOT_SKIP_POSTGRES=1); its tests will be skipped"
elif ! have_postgres; then
    step "PostgreSQL: installing the server binaries (apt-get install postgresql)"
    if ! install_postgres || ! have_postgres; then
        die "PostgreSQL server binaries (initdb, pg_ctl) are missing and could not be installed.
Install them (Debian/Ubuntu: sudo apt-get install postgresql), or run with
REDEBOT_SKIP_POSTGRES=1 to skip the tests that need a real PostgreSQL server."
    fi
fi

if [[ ${CI:-} == true && ${REDEBOT_SKIP_POSTGRES:-} != 1 ]]; then
    export REDEBOT_REQUIRE_POSTGRES=1
fi

# --- virtualenv ---------------------------------------------------------------------------
python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

if ! python_ok .venv/bin/python; then
    python=
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
            python=$candidate
            break
        fi
    done
    [[ -n $python ]] || die "Python >= 3.11 not found (set PYTHON=/path/to/python3.11)"
    step "Creating .venv with $python ($("$python" --version 2>&1))"
    rm -rf .venv
    "$python" -m venv .venv
fi

stamp=.venv/.redebot-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || $(<"$stamp") != "$wanted" ]]; then
    step "pip install -e '.[test]'"
    # Quiet, but show everything pip said when it fails.
    if ! log=$(.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1); then
        printf '%s\n' "$log" >&2
        die "pip install failed"
    fi
    printf '%s\n' "$wanted" >"$stamp"
fi

export VIRTUAL_ENV=$PWD/.venv
export PATH=$VIRTUAL_ENV/bin:$PATH

# --- checks -------------------------------------------------------------------------------
step "ruff check"
python -m ruff check .

step "ruff format --check"
python -m ruff format --check .

step "mypy"
python -m mypy

step "import contracts (lint-imports)"
lint-imports --no-cache

step "pytest${REDEBOT_REQUIRE_POSTGRES:+ (REDEBOT_REQUIRE_POSTGRES=1)}"
# One worker per core, at most 4 (pytest-xdist): each has its own PostgreSQL server and
# migrated templates; `-n 0` after it runs the tests in this process.
python -m pytest -q -n auto --maxprocesses=4 "$@"
