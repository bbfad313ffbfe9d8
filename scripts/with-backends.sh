#!/usr/bin/env bash
# Start a Kafka broker and PostgreSQL on their own ports and folders (so a
# running `make up` is left alone), run the given command, and stop both
# whatever the command's outcome.
#   scripts/with-backends.sh COMMAND [ARGS...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export KAFKA_PORT=${KAFKA_PORT:-19092}
export KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
export KAFKA_DATA_DIR=$root/.run/test-kafka
export POSTGRES_DATA_DIR=$root/.run/test-postgres
export CAMPUS_TEST_KAFKA=127.0.0.1:$KAFKA_PORT

stop_all() {
  scripts/kafka.sh stop || true
  .venv/bin/python scripts/postgres.py stop || true
}
trap stop_all EXIT

# A fresh broker and database server each run, so nothing of an earlier run
# is read again.
scripts/kafka.sh stop || true
.venv/bin/python scripts/postgres.py stop || true
rm -rf "$KAFKA_DATA_DIR" "$POSTGRES_DATA_DIR"
scripts/kafka.sh start
.venv/bin/python scripts/postgres.py start >/dev/null

"$@"
