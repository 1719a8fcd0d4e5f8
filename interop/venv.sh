#!/usr/bin/env bash
# Creates (once) a Python virtual environment holding the MIT pip package fivetran-connector-sdk
# pinned in requirements.txt beside this script, and the MIT test server fivetran-api-playground
# (pinned in playground-requirements.txt, installed without the dependencies it declares, which
# only its command line needs), and prints the venv's path.
# The venv lives at $CONNECTOR_SDK_VENV, by default /var/tmp/connector-sdk-venv.
# Idempotent: installs only when `import fivetran_connector_sdk` fails in the venv.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${CONNECTOR_SDK_VENV:-/var/tmp/connector-sdk-venv}"

# Tests run in parallel and may all ask at once: one creates, the others wait.
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" >&2
fi

if ! "$VENV/bin/python" -c 'import fivetran_connector_sdk' >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip install --quiet -r "$HERE/requirements.txt" >&2
    "$VENV/bin/python" -c 'import fivetran_connector_sdk' >&2
fi

if ! "$VENV/bin/python" -c 'import fivetran_api_playground' >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip install --quiet -r "$HERE/playground-requirements.txt" >&2
    "$VENV/bin/python" -m pip install --quiet --no-deps fivetran-api-playground==1.1.9 >&2
    "$VENV/bin/python" -c 'import fivetran_api_playground' >&2
fi

echo "$VENV"
