#!/usr/bin/env bash
# Creates the git-ignored .venv with the pinned moto server and SAM CLI; a no-op when it is current.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv"
req="$root/tools/local/python-requirements.txt"
stamp="$venv/.requirements"
python="${PYTHON:-python3}"

if [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
  exit 0
fi
echo "setting up the Python virtualenv (.venv) with $(grep -v '^#' "$req" | tr '\n' ' ')" >&2
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
cp "$req" "$stamp"
