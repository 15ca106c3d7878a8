#!/usr/bin/env bash
# Create .venv with Python 3.10 and install PeerScope with its pinned dependencies.
# Rasa 3.6 needs Python >=3.8,<3.11, so this looks for 3.10 explicitly:
#   $PEERSCOPE_PYTHON, python3.10 on PATH, pyenv's versions, /usr/bin/python3.10.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.installed

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

is_py310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python() {
    local candidates=()
    [ -n "${PEERSCOPE_PYTHON:-}" ] && candidates+=("$PEERSCOPE_PYTHON")
    command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    for p in "$root"/versions/3.10*/bin/python3.10; do [ -e "$p" ] && candidates+=("$p"); done
    candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)
    for c in "${candidates[@]}"; do
        if is_py310 "$c"; then echo "$c"; return 0; fi
    done
    return 1
}

if [ -x "$VENV/bin/python" ] && ! is_py310 "$VENV/bin/python"; then
    say "$VENV is not Python 3.10; recreating it"
    rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
    if ! PY=$(find_python); then
        cat >&2 <<'MSG'
[bootstrap] No Python 3.10 found. Rasa 3.6 runs on Python 3.8-3.10 only (python3 here may be newer).
Install one of these, then run the command again:
  - pyenv:   pyenv install 3.10.13
  - Debian/Ubuntu: apt-get install python3.10 python3.10-venv   (deadsnakes PPA on Ubuntu)
  - or point PeerScope at one you have:  PEERSCOPE_PYTHON=/path/to/python3.10 make test
MSG
        exit 1
    fi
    say "creating $VENV with $PY"
    "$PY" -m venv "$VENV"
fi

want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    # the encoder's files: fetched and verified once (a no-op when they verify)
    exec "$VENV/bin/peerscope" models install
fi

say "installing PeerScope and its pinned dependencies (about 2-3 minutes the first time)"
"$VENV/bin/python" -m pip install --upgrade --quiet pip wheel
mkdir -p var
set +e
"$VENV/bin/python" -m pip install --progress-bar on -c constraints.txt -e ".[test]" 2>&1 \
    | tee var/install.log | grep -vE "^(WARNING: Location|  Downloading|Requirement already satisfied)"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { say "install failed (full log: var/install.log)"; exit 1; }
"$VENV/bin/python" -c "import rasa, rasa_sdk, spacy, medspacy, sqlalchemy, onnxruntime, tokenizers" \
    || { say "install finished but imports fail; see above"; exit 1; }
"$VENV/bin/peerscope" models install
echo "$want" > "$STAMP"
say "ready: $("$VENV/bin/python" --version), rasa $("$VENV/bin/python" -c 'import rasa; print(rasa.__version__)')"
