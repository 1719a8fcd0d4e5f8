#!/usr/bin/env bash
# Creates (once) a Python virtual environment holding moto's standalone server (PyPI
# `moto[server]`, pinned in moto-requirements.txt beside this script), which the AWS examples'
# tests start on 127.0.0.1 as a stand-in for STS, DynamoDB and Athena, and prints the path of
# its `moto_server`.
# The venv lives at $CONNECTOR_SDK_MOTO_VENV, by default /var/tmp/connector-sdk-moto-venv.
# Idempotent: installs only when the venv's moto_server is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${CONNECTOR_SDK_MOTO_VENV:-/var/tmp/connector-sdk-moto-venv}"

mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" >&2
fi

if [ ! -x "$VENV/bin/moto_server" ] || ! "$VENV/bin/python" -c 'import moto.server' >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip install --quiet -r "$HERE/moto-requirements.txt" >&2
    "$VENV/bin/python" -c 'import moto.server' >&2
fi

echo "$VENV/bin/moto_server"
