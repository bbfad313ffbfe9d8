#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) on loopback, from the official Maven jars.
#
#   scripts/kafka.sh start   fetch the jars once, format storage, start, wait
#   scripts/kafka.sh stop    stop the broker by its recorded process id
#   scripts/kafka.sh status  exit 0 when the broker accepts connections
#   scripts/kafka.sh console-consumer ARGS  Kafka's console consumer
#
# KAFKA_PORT (default 9092), KAFKA_CONTROLLER_PORT (default 9093) and
# KAFKA_DATA_DIR (default .run/kafka) choose where it runs.
# KAFKA_START_SECONDS (default 60) is how long `start` waits for the broker.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=4.4.0
# The cache folder is named after the POM's checksum, so a changed dependency
# list fetches again.
pom_sum=$(sha256sum "$here/kafka/pom.xml" | cut -c1-12)
cache=${CAMPUS_CACHE:-$HOME/.cache/campus}/kafka-$version-$pom_sum
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}
data_dir=${KAFKA_DATA_DIR:-$here/../.run/kafka}
pid_file=$data_dir/broker.pid
start_seconds=${KAFKA_START_SECONDS:-60}

fetch_jars() {
  if [ -f "$cache/.complete" ]; then return; fi
  echo "kafka: fetching Kafka $version jars into $cache (once)" >&2
  mvn -q -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$cache/libs"
  touch "$cache/.complete"
}

accepts_connections() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

is_running() {
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

start() {
  if is_running && accepts_connections; then
    echo "kafka: already running on 127.0.0.1:$port" >&2
    return
  fi
  fetch_jars
  mkdir -p "$data_dir"
  data_dir=$(cd "$data_dir" && pwd)
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
    -e "s|@DATA_DIR@|$data_dir|g" "$here/kafka/broker.properties.in" \
    > "$data_dir/server.properties"
  java_opts=(-Xmx512m "-Dlog4j2.configurationFile=$here/kafka/log4j2.properties"
    "-Dkafka.logs.dir=$data_dir")
  if [ ! -f "$data_dir/cluster.id" ]; then
    # A cluster id is 16 random bytes in URL-safe base64 without padding.
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' \
      > "$data_dir/cluster.id"
  fi
  java "${java_opts[@]}" -cp "$cache/libs/*" kafka.tools.StorageTool format \
    --cluster-id="$(cat "$data_dir/cluster.id")" \
    --config "$data_dir/server.properties" --ignore-formatted >/dev/null
  nohup java "${java_opts[@]}" -cp "$cache/libs/*" kafka.Kafka \
    "$data_dir/server.properties" > "$data_dir/stdout.log" 2>&1 &
  echo $! > "$pid_file"
  for _ in $(seq 1 $((start_seconds * 2))); do
    if accepts_connections; then
      echo "kafka: listening on 127.0.0.1:$port" >&2
      return
    fi
    if ! is_running; then
      echo "kafka: broker exited; see $data_dir/stdout.log" >&2
      tail -n 20 "$data_dir/stdout.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "kafka: broker did not accept connections within $start_seconds s" \
    "(KAFKA_START_SECONDS); see $data_dir/stdout.log" >&2
  exit 1
}

stop() {
  if ! is_running; then
    rm -f "$pid_file"
    return
  fi
  pid=$(cat "$pid_file")
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; return; }
    sleep 0.5
  done
  echo "kafka: broker $pid ignored SIGTERM for 30 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) accepts_connections ;;
  fetch) fetch_jars ;;
  console-consumer)
    # Kafka's own console consumer, from the same jars: the rest of the
    # arguments go to it, for example --topic T --from-beginning.
    shift
    fetch_jars
    exec java -Xmx256m "-Dlog4j2.configurationFile=$here/kafka/log4j2.properties" \
      "-Dkafka.logs.dir=${TMPDIR:-/tmp}" -cp "$cache/libs/*" \
      org.apache.kafka.tools.consumer.ConsoleConsumer \
      --bootstrap-server "127.0.0.1:$port" "$@" ;;
  *) echo "usage: $0 start|stop|status|fetch|console-consumer ARGS" >&2; exit 2 ;;
esac
