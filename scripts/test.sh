#!/usr/bin/env bash
# Set up (with the test tools) and run the whole test suite. Extra arguments go to pytest.
# PostgreSQL (127.0.0.1:5432, database `test`) and Redis (127.0.0.1:6379) are used when present; tests that need a
# missing one are skipped with the reason (under CI they fail instead). Override with HOTLINE_TEST_POSTGRES_URL and
# HOTLINE_TEST_REDIS_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -q -ra "$@"
