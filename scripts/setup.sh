#!/usr/bin/env bash
# Set up this checkout on a fresh Debian/Ubuntu machine with Python 3.11: the virtual environment at .venv with the
# `hotline` command, and the chat bot (Rasa in its own environment .venv-rasa, trained into bot/models/).
# Idempotent: run it again after pulling. Options:
#   --dev   also the test tools (pytest …) and what the test suite needs from the system
# Environment: HOTLINE_SKIP_BOT=1 skips the chat bot (its first install takes several minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    *) echo "usage: scripts/setup.sh [--dev]" >&2; exit 2 ;;
  esac
done

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "Python 3.11 is required (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

# System packages, only those missing (apt needs root; on other systems install them by hand).
need_apt=()
if [ "$DEV" = 1 ]; then
  for pkg in $(cat scripts/apt-dev.txt 2>/dev/null | sed 's/#.*//'); do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
  done
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing system packages: ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "Please install these system packages first: ${need_apt[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -U pip wheel setuptools
EXTRAS="$( [ "$DEV" = 1 ] && echo '[dev,transformers]' || echo '' )"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${EXTRAS}"
.venv/bin/hotline --help >/dev/null
echo "Set up: .venv/bin/hotline"

if [ "${HOTLINE_SKIP_BOT:-0}" != 1 ]; then
  bash bot/setup.sh
  echo "Set up: the chat bot (.venv-rasa, bot/models/) — start it with: .venv/bin/hotline bot run"
fi
