#!/usr/bin/env bash
# Create the virtual environment (if missing) and install exact pins: setup_venv.sh VENV REQUIREMENTS...
set -euo pipefail
venv=$1; shift
if [ ! -x "$venv/bin/python" ]; then
  py=$(scripts/find_python.sh)
  echo "creating $venv with $py"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
for req in "$@"; do
  echo "installing $req into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
done
