#!/usr/bin/env bash
# Install redebot into .venv (when pyproject.toml changed) and start it.
#   ./scripts/start.sh            serve Telegram (TELEGRAM_BOT_TOKEN in the environment or .env)
#   ./scripts/start.sh console    try the bot in this terminal, no token, no network
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=${PYTHON:-python3}
if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        { echo "error: Python >= 3.11 is needed (set PYTHON=...)" >&2; exit 1; }
    rm -rf .venv
    "$python" -m venv .venv
fi
stamp=.venv/.redebot-run-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || $(<"$stamp") != "$wanted" ]]; then
    echo "==> installing redebot into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e .
    echo "$wanted" >"$stamp"
fi
exec .venv/bin/redebot "$@"
