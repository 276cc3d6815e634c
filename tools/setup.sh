#!/usr/bin/env bash
# README command 1: installs what the notebooks and tests need, idempotently, then registers the
# Deno Jupyter kernel, prepares the data and runs the course's main job (deno task setup):
#   - Deno (pinned) from npm into .tools/
#   - JupyterLab (pinned, tools/jupyter-requirements.txt) from PyPI into the virtual environment
#     .tools/jupyter made with Debian's /usr/bin/python3; Debian's Jupyter packages where PyPI
#     cannot be reached
#   - Chromium from Debian (/usr/bin/chromium) for the browser tests
# What it cannot install (no root, no network) it names with the exact command, and goes on.
# Offline after the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO_VERSION=2.9.6
DENO=.tools/node_modules/.bin/deno
PYTHON=/usr/bin/python3
VENV=.tools/jupyter
REQUIREMENTS=tools/jupyter-requirements.txt
missing=()

# Runs apt-get as root (directly, or through password-less sudo); false when neither works.
apt_install() {
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then sudo=(sudo -n); else return 1; fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >/dev/null || return 1
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" >/dev/null || return 1
}

echo "== Deno"
if [ "$("$DENO" --version 2>/dev/null | head -n 1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  echo "installing Deno $DENO_VERSION from npm into .tools/"
  npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION"
fi
"$DENO" --version | head -n 1
"$DENO" install --frozen

echo "== JupyterLab"
stamp="$VENV/.requirements"
if [ -x "$VENV/bin/jupyter-lab" ] && cmp -s "$REQUIREMENTS" "$stamp"; then
  echo "JupyterLab is installed in $VENV"
else
  if [ ! -x "$VENV/bin/pip" ] && ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    echo "the venv module is missing: installing python3-venv"
    apt_install python3-venv && "$PYTHON" -m venv "$VENV" || rm -rf "$VENV"
  fi
  if [ -x "$VENV/bin/pip" ] && "$VENV/bin/pip" install -q --disable-pip-version-check \
    -r "$REQUIREMENTS"; then
    cp "$REQUIREMENTS" "$stamp"
    echo "JupyterLab installed in $VENV from PyPI"
  elif [ -f /usr/lib/python3/dist-packages/jupyter_client/__init__.py ] \
    || apt_install jupyter-notebook python3-jupyter-client python3-ipykernel; then
    echo "PyPI not reachable: using Debian's Jupyter (classic Notebook; no JupyterLab for the UI test)"
    missing+=("JupyterLab: $PYTHON -m venv $VENV && $VENV/bin/pip install -r $REQUIREMENTS")
  else
    missing+=("Jupyter: $PYTHON -m venv $VENV && $VENV/bin/pip install -r $REQUIREMENTS" \
      "  (or, as root: apt-get install python3-venv; Debian's fallback: apt-get install jupyter-notebook)")
  fi
fi

echo "== Chromium (browser tests)"
if [ -x /usr/bin/chromium ]; then
  echo "/usr/bin/chromium is installed"
elif apt_install chromium fonts-noto-color-emoji; then
  echo "Chromium installed from Debian"
else
  missing+=("Chromium, as root: apt-get install -y chromium fonts-noto-color-emoji")
fi
# ✅/❌ in screenshots (check lines also say PASS/FAIL, so this one is optional).
if [ ! -d /usr/share/fonts/truetype/noto ] || ! ls /usr/share/fonts/truetype/noto | grep -qi emoji; then
  apt_install fonts-noto-color-emoji && echo "emoji font installed" ||
    echo "no emoji font (optional; as root: apt-get install -y fonts-noto-color-emoji)"
fi

"$DENO" task setup
if [ ${#missing[@]} -gt 0 ]; then
  echo "== Not installed (the tests that need them fail naming them); to install:"
  printf '  %s\n' "${missing[@]}"
fi
