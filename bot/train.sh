#!/usr/bin/env bash
# Train the bot into bot/models/ with .venv-rasa (rasa skips training when nothing changed).
set -euo pipefail
BOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$(cd "$BOT_DIR/.." && pwd)/.venv-rasa"
export RASA_TELEMETRY_ENABLED=false
[[ -x "$VENV/bin/rasa" ]] || { echo "[bot/train] $VENV is missing: run bot/setup.sh first" >&2; exit 1; }
cd "$BOT_DIR"
exec "$VENV/bin/rasa" train --config config.yml --domain domain.yml --data data --out models \
  --fixed-model-name hotline-bot "$@"
