#!/usr/bin/env bash
# Install the chat bot's own environment (.venv-rasa at the repo root) and train the bot into bot/models/.
#
# Idempotent: a second run re-uses the environment (a stamp file records what was installed) and `rasa train`
# skips training when nothing changed. Runs as root on a fresh Debian 12 machine (installs the few Debian packages
# matplotlib's source build needs); as a non-root user, install those packages yourself first.
#
# Environment:
#   PYTHON                 the Python 3.11 interpreter for the environment (default: python3.11, else python3)
#   HOTLINE_BOT_NO_TRAIN=1 install only, do not train
#   HOTLINE_BOT_FORCE=1    reinstall the Python packages even if the stamp matches
set -euo pipefail

BOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BOT_DIR/.." && pwd)"
VENV="$REPO_ROOT/.venv-rasa"
STAMP="$VENV/.hotline-bot-stamp"
export RASA_TELEMETRY_ENABLED=false
export MPLSETUPCFG="$BOT_DIR/mplsetup.cfg"

log() { printf '[bot/setup] %s\n' "$*" >&2; }

# 1. Debian packages for matplotlib 3.5.3's source build.
APT_PACKAGES=(build-essential libfreetype-dev libpng-dev pkg-config libqhull-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "missing Debian packages (install them first): ${missing[*]}"
    exit 1
  fi
fi

# 2. The virtual environment.
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
want_stamp="$(cat "$BOT_DIR/requirements-rasa.txt" "$BOT_DIR/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [[ "${HOTLINE_BOT_FORCE:-0}" != 1 && -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]]; then
  log "environment up to date ($VENV)"
else
  log "installing Rasa into $VENV (first time: several minutes)"
  # (pip's notes about absent local index folders are filtered out; real errors still show)
  "$VENV/bin/pip" install -q --upgrade -c "$BOT_DIR/constraints.txt" "pip<25" setuptools wheel 2> >(grep -v "is ignored: it is neither" >&2)
  "$VENV/bin/pip" install -q --ignore-requires-python -c "$BOT_DIR/constraints.txt" \
    -r "$BOT_DIR/requirements-rasa.txt" 2> >(grep -v "is ignored: it is neither" >&2)
  echo "$want_stamp" >"$STAMP"
  log "installed rasa $("$VENV/bin/pip" show rasa 2>/dev/null | sed -n "s/^Version: //p")"
fi

# 3. Train (skipped by rasa itself when data and config are unchanged).
if [[ "${HOTLINE_BOT_NO_TRAIN:-0}" != 1 ]]; then
  exec "$BOT_DIR/train.sh"
fi
