#!/usr/bin/env bash
# Start Campus in the distributed mode on this machine, every process in the
# background: Kafka, PostgreSQL, an SMTP sink, the four services and the gateway.
#
#   scripts/up.sh      start what is not running yet, wait for the gateway
#   scripts/down.sh    stop it all again
#
# Process ids go to .run/up/NAME.pid and output to .run/up/NAME.log. The SMTP
# sink writes every email it receives to .run/up/smtp.log. The development
# login is on, because no single sign-on runs locally.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
python=.venv/bin/python
run_dir=.run/up
gateway_port=8000
smtp_port=8025
services=(missions documents notifications evaluations)
declare -A ports=([missions]=8101 [documents]=8102 [notifications]=8103
  [evaluations]=8104)

mkdir -p "$run_dir"

is_running() {
  local pid_file=$run_dir/$1.pid
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

# start_background NAME COMMAND...: run COMMAND in the background unless NAME
# already runs, with its pid in NAME.pid and its output in NAME.log.
start_background() {
  local name=$1
  shift
  if is_running "$name"; then
    echo "up: $name is already running (pid $(cat "$run_dir/$name.pid"))" >&2
    return
  fi
  nohup "$@" >> "$run_dir/$name.log" 2>&1 &
  echo $! > "$run_dir/$name.pid"
}

# wait_for_http NAME URL: wait until URL returns 200, or fail if NAME exits.
wait_for_http() {
  local name=$1 url=$2
  local probe="import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1)"
  for _ in $(seq 1 120); do
    if "$python" -c "$probe" "$url" 2>/dev/null; then
      return
    fi
    if ! is_running "$name"; then
      echo "up: $name exited; the end of $run_dir/$name.log follows" >&2
      tail -n 30 "$run_dir/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "up: $name did not respond at $url within 60 s; see $run_dir/$name.log" >&2
  exit 1
}

scripts/kafka.sh start
"$python" scripts/postgres.py start > /dev/null
"$python" scripts/postgres.py createdb "${services[@]/#/campus_}" campus_gateway campus_keys

# Every process must sign sessions and links with the same key, which stays
# the same across restarts so that sessions survive them.
if [ ! -f "$run_dir/secret_key" ]; then
  "$python" -c "import secrets; print(secrets.token_hex(32))" > "$run_dir/secret_key"
fi

service_urls=$(for name in "${services[@]}"; do
  printf '"%s": "http://127.0.0.1:%s",' "$name" "${ports[$name]}"
done)
export CAMPUS_MODE=distributed
export CAMPUS_DATABASE_URL
CAMPUS_DATABASE_URL=$("$python" scripts/postgres.py url 'campus_{service}')
export CAMPUS_KAFKA_BOOTSTRAP=127.0.0.1:${KAFKA_PORT:-9092}
export CAMPUS_SMTP_HOST=127.0.0.1
export CAMPUS_SMTP_PORT=$smtp_port
export CAMPUS_DEV_LOGIN=true
export CAMPUS_PUBLIC_URL=http://127.0.0.1:$gateway_port
export CAMPUS_SECRET_KEY
CAMPUS_SECRET_KEY=$(cat "$run_dir/secret_key")
export CAMPUS_SERVICE_URLS="{${service_urls%,}}"

# -u, because aiosmtpd's debugging handler prints each email to stdout.
start_background smtp "$python" -u -m aiosmtpd -n -l "127.0.0.1:$smtp_port"

for name in "${services[@]}"; do
  CAMPUS_DATA_DIR=$run_dir/data/$name start_background "$name" \
    "$python" -m services.runner service "$name" --port "${ports[$name]}"
done
CAMPUS_DATA_DIR=$run_dir/data/gateway start_background gateway \
  "$python" -m services.runner gateway --port "$gateway_port"

for name in "${services[@]}"; do
  wait_for_http "$name" "http://127.0.0.1:${ports[$name]}/health/ready"
done
wait_for_http gateway "http://127.0.0.1:$gateway_port/health/live"

cat <<EOF
Campus is running in the distributed mode:
  gateway        http://127.0.0.1:$gateway_port/   (open this one)
EOF
for name in "${services[@]}"; do
  printf '  %-14s http://127.0.0.1:%s/\n' "$name" "${ports[$name]}"
done
cat <<EOF
  kafka          127.0.0.1:${KAFKA_PORT:-9092}
  postgresql     $CAMPUS_DATABASE_URL
  smtp sink      127.0.0.1:$smtp_port   (emails are written to $run_dir/smtp.log)
Logs and process ids are in $run_dir/. Stop everything with scripts/down.sh.
EOF
