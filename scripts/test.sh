#!/usr/bin/env bash
# Run the whole test suite on a fresh Kafka broker and PostgreSQL server.
#   scripts/test.sh [PYTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-backends.sh .venv/bin/python -m pytest "$@"
