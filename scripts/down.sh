#!/usr/bin/env bash
# Stop what scripts/up.sh started: the gateway, the services and the SMTP sink
# by the process ids in .run/up/NAME.pid, then PostgreSQL and Kafka. Data stays.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run_dir=.run/up

# stop_pid NAME: send SIGTERM to the process in NAME.pid, and SIGKILL if it
# still runs 15 s later.
stop_pid() {
  local name=$1 pid_file=$run_dir/$1.pid pid
  [ -f "$pid_file" ] || return 0
  pid=$(cat "$pid_file")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "down: $name (pid $pid) ignored SIGTERM for 15 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "down: stopped $name" >&2
  fi
  rm -f "$pid_file"
}

for name in gateway missions documents notifications evaluations smtp; do
  stop_pid "$name"
done
.venv/bin/python scripts/postgres.py stop
scripts/kafka.sh stop
