#!/usr/bin/env bash
# Bring up Kafka and Cassandra for integration tests (in parallel, fresh data each run).
#
#   eval "$(testenv/up.sh)"        # exports STREAMTOP_TESTENV_KAFKA, STREAMTOP_TESTENV_CASSANDRA, STREAMTOP_TESTENV_DIR, STREAMTOP_TESTENV
#   testenv/up.sh --keep           # reuse existing data instead of wiping it
#   testenv/up.sh --only kafka     # or --only cassandra
#
# stdout: only `export NAME=VALUE` lines (also written to $STREAMTOP_TESTENV_DIR/env); progress on stderr.
# Fails (exit 1, with the log tail of the failing service) if a service is not ready in
# STREAMTOP_KAFKA_TIMEOUT (120 s) / STREAMTOP_CASSANDRA_TIMEOUT (240 s); then nothing is left running.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"

fresh=(--fresh)
services=(kafka cassandra)
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) fresh=() ;;
    --only) services=("$2"); shift ;;
    --only=*) services=("${1#*=}") ;;
    *) die "up.sh: unknown argument $1" ;;
  esac
  shift
done
export STREAMTOP_KAFKA_TIMEOUT="${STREAMTOP_KAFKA_TIMEOUT:-120}"
export STREAMTOP_CASSANDRA_TIMEOUT="${STREAMTOP_CASSANDRA_TIMEOUT:-240}"

mkdir -p "$STREAMTOP_TESTENV_DIR"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

t0=$(now_ms)
declare -A pids
for s in "${services[@]}"; do
  case "$s" in kafka | cassandra) ;; *) die "up.sh: unknown service $s" ;; esac
  "$HERE/$s.sh" start "${fresh[@]}" >"$tmp/$s.addr" &
  pids[$s]=$!
done

failed=()
for s in "${services[@]}"; do
  wait "${pids[$s]}" || failed+=("$s")
done

if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED to start: ${failed[*]} (see the log tail above; logs under $STREAMTOP_TESTENV_DIR)"
  for s in "${services[@]}"; do "$HERE/$s.sh" stop >/dev/null 2>&1 || true; done
  exit 1
fi

{
  for s in "${services[@]}"; do
    case "$s" in
      kafka) echo "export STREAMTOP_TESTENV_KAFKA=$(cat "$tmp/kafka.addr")" ;;
      cassandra) echo "export STREAMTOP_TESTENV_CASSANDRA=$(cat "$tmp/cassandra.addr")" ;;
    esac
  done
  echo "export STREAMTOP_TESTENV_DIR=$STREAMTOP_TESTENV_DIR"
  echo "export STREAMTOP_TESTENV=$HERE"
} | tee "$STREAMTOP_TESTENV_DIR/env"
log "up: ${services[*]} ready in $(( ($(now_ms) - t0) / 1000 ))s (env file: $STREAMTOP_TESTENV_DIR/env)"
