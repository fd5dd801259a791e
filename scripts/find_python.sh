#!/usr/bin/env bash
# Print the path of a Python >= 3.13 interpreter, or explain what was looked for and fail.
set -euo pipefail
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for v in "$root"/versions/3.13.*; do [ -x "$v/bin/python3" ] && candidates+=("$v/bin/python3"); done
fi
[ -d "$HOME/.pyenv/versions" ] && for v in "$HOME"/.pyenv/versions/3.13.*; do
  [ -x "$v/bin/python3" ] && candidates+=("$v/bin/python3"); done
candidates+=(/usr/bin/python3.13 /usr/local/bin/python3.13 python3.13 python3)
for py in "${candidates[@]}"; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
    command -v "$py"; exit 0
  fi
done
echo "error: Home Assistant 2025.4 needs Python 3.13; looked for \$(pyenv root)/versions/3.13.*/bin/python3," \
     "/usr/bin/python3.13, /usr/local/bin/python3.13, python3.13 and python3 on PATH" >&2
exit 1
