#!/usr/bin/env bash
# Compares connector-playground with the PyPI original, fivetran-api-playground 1.1.9 (MIT).
# Needs network access to PyPI for the first run (a venv under $VENV, default /var/tmp/playground-venv).
# Usage: connector-playground/compare/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${VENV:-/var/tmp/playground-venv}"
port="${PORT:-5939}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    # The original's pinned Flask; Faker and requests are only imported at its start.
    "$venv/bin/pip" install --quiet flask==3.1.3 faker requests colorama
    "$venv/bin/pip" install --quiet --no-deps fivetran-api-playground==1.1.9
fi

cd "$here/../.."
cargo build --quiet -p connector-playground --bin playground
"${CARGO_TARGET_DIR:-target}/debug/playground" start --port "$port" --quiet >/dev/null &
server=$!
trap 'kill $server' EXIT
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
"$venv/bin/python" "$here/compare.py" "$port"
