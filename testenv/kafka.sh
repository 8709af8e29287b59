#!/usr/bin/env bash
# One-node KRaft Apache Kafka (broker+controller) on 127.0.0.1, from Maven Central jars.
#
#   testenv/kafka.sh start [--fresh] [--port N] [--dir DIR]   start (reuses DIR's data unless --fresh), wait until ready
#   testenv/kafka.sh stop  [--dir DIR]                         SIGTERM (clean shutdown), SIGKILL after grace
#   testenv/kafka.sh kill  [--dir DIR]                         SIGKILL (crash simulation)
#   testenv/kafka.sh restart [--dir DIR]                       stop + start on the same data
#   testenv/kafka.sh status [--dir DIR]                        exit 0 iff running and answering
#   testenv/kafka.sh fetch                                     only download the jars into the cache
#
# On success `start` prints the bootstrap address (127.0.0.1:PORT) on stdout; everything else goes to stderr.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

KAFKA_VERSION="4.3.1"
LOG4J_VERSION="2.26.1"
# Kafka 4.3 logs through slf4j-api 1.7.36, so the log4j2 binding is log4j-slf4j-impl
# (log4j-slf4j2-impl is for slf4j 2.x and would leave Kafka silently logging nothing).
KAFKA_COORDS=(
  "org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  "org.apache.logging.log4j:log4j-slf4j-impl:$LOG4J_VERSION"
  "org.apache.logging.log4j:log4j-core:$LOG4J_VERSION"
)

cmd="${1:-}"; [ $# -gt 0 ] && shift
FRESH=0
PORT="${STREAMTOP_KAFKA_PORT:-39092}"
DIR="${STREAMTOP_KAFKA_DIR:-$STREAMTOP_TESTENV_DIR/kafka}"
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) FRESH=1 ;;
    --port) PORT="$2"; shift ;;
    --port=*) PORT="${1#*=}" ;;
    --dir) DIR="$2"; shift ;;
    --dir=*) DIR="${1#*=}" ;;
    *) die "kafka.sh: unknown argument $1" ;;
  esac
  shift
done
[ "${STREAMTOP_FRESH:-0}" = 1 ] && FRESH=1

TIMEOUT="${STREAMTOP_KAFKA_TIMEOUT:-120}"
HEAP="${STREAMTOP_KAFKA_HEAP:-512m}"
PIDFILE="$DIR/kafka.pid"
MARKER="kafka:$DIR"
LOGFILE="$DIR/kafka.log"
CONF="$DIR/server.properties"
DATA="$DIR/data"

# Ports are recorded at first start so that restart/stop/status on the same
# directory use the same ports even without the env vars.
load_ports() {
  if [ -f "$DIR/ports" ] && [ "$FRESH" = 0 ]; then
    # shellcheck disable=SC1091
    source "$DIR/ports"
  fi
  CPORT="${STREAMTOP_KAFKA_CONTROLLER_PORT:-${CPORT:-$((PORT + 1))}}"
  ADDR="127.0.0.1:$PORT"
}

kafka_ready() {
  # Real client round trip: metadata request answered with our broker listed.
  timeout 10 kcat -b "$ADDR" -L -m 5 2>/dev/null | grep -q "broker 1 at 127.0.0.1:$PORT"
}

write_config() {
  mkdir -p "$DIR" "$DATA"
  printf 'PORT=%s\nCPORT=%s\n' "$PORT" "$CPORT" >"$DIR/ports"
  cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# After a SIGKILL the restarted broker must wait for its old registration to
# expire (DUPLICATE_BROKER_REGISTRATION); a short session keeps that wait ~4 s.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=500
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=67108864
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=8388608
PROPS
  cat >"$DIR/log4j2.properties" <<'L4J'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
logger.request.name = kafka.request.logger
logger.request.level = WARN
L4J
}

java_flags() {
  JFLAGS=(
    "-Xms$HEAP" "-Xmx$HEAP"
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15
    -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=file:$DIR/log4j2.properties"
    "-Dstreamtop.testenv=$MARKER"
    -cp "$JARS/*"
  )
  # shellcheck disable=SC2206
  [ -n "${STREAMTOP_KAFKA_JVM_OPTS:-}" ] && JFLAGS=(${STREAMTOP_KAFKA_JVM_OPTS} "${JFLAGS[@]}")
  return 0
}

start() {
  load_ports
  ensure_apt kcat kcat
  check_java
  local pid; pid="$(read_pid "$PIDFILE" "$MARKER")"
  if pid_alive "$pid" && [ "$FRESH" = 1 ]; then
    log "kafka: running (pid $pid) but --fresh was asked: stopping it to start on fresh data"
    stop_pid "$PIDFILE" kafka "${STREAMTOP_KAFKA_STOP_GRACE:-30}" "$MARKER"
  fi
  if pid_alive "$pid"; then
    if kafka_ready; then log "kafka: already running (pid $pid)"; echo "$ADDR"; return 0; fi
    die "kafka: pid $pid is running but not answering on $ADDR (see $LOGFILE); stop it first"
  fi
  port_busy "$PORT" && die "kafka: port $PORT is already in use by another process"
  port_busy "$CPORT" && die "kafka: controller port $CPORT is already in use by another process"

  JARS="$(fetch_jars "kafka-$KAFKA_VERSION" "${KAFKA_COORDS[@]}")"
  java_flags

  prepare_dir "$DIR" "$FRESH"
  write_config
  if [ ! -f "$DATA/meta.properties" ]; then
    local cid; cid="$("$JAVA" "${JFLAGS[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOGFILE" | tail -n 1)"
    log "kafka: formatting $DATA (cluster id $cid)"
    "$JAVA" "${JFLAGS[@]}" kafka.tools.StorageTool format -t "$cid" -c "$CONF" >>"$LOGFILE" 2>&1 \
      || { log_tail "$LOGFILE" 40; die "kafka: storage format failed"; }
  else
    log "kafka: reusing existing data in $DATA"
  fi

  local t0; t0=$(now_ms)
  echo "=== start $(date -Is) ===" >>"$LOGFILE"
  setsid "$JAVA" "${JFLAGS[@]}" kafka.Kafka "$CONF" >>"$LOGFILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  log "kafka: started pid $pid on $ADDR (controller $CPORT), log $LOGFILE; waiting up to ${TIMEOUT}s"
  wait_ready kafka "$pid" "$PIDFILE" "$LOGFILE" "$TIMEOUT" "$t0" kafka_ready
  log "kafka: ready on $ADDR after $(( $(now_ms) - t0 ))ms (rss $(rss_mb "$pid")MB)"
  echo "$ADDR"
}

status() {
  load_ports
  local pid; pid="$(read_pid "$PIDFILE" "$MARKER")"
  if ! pid_alive "$pid"; then log "kafka: not running"; return 1; fi
  if kafka_ready; then
    log "kafka: running pid $pid on $ADDR, ready (rss $(rss_mb "$pid")MB)"; echo "$ADDR"; return 0
  fi
  log "kafka: pid $pid running but not answering on $ADDR"; return 1
}

case "$cmd" in
  start) start ;;
  stop) stop_pid "$PIDFILE" kafka "${STREAMTOP_KAFKA_STOP_GRACE:-30}" "$MARKER" ;;
  kill) stop_pid "$PIDFILE" kafka 0 "$MARKER" ;;
  restart) stop_pid "$PIDFILE" kafka "${STREAMTOP_KAFKA_STOP_GRACE:-30}" "$MARKER"; FRESH=0; start ;;
  status) status ;;
  fetch) fetch_jars "kafka-$KAFKA_VERSION" "${KAFKA_COORDS[@]}" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
