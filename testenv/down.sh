#!/usr/bin/env bash
# Stop Kafka and Cassandra started by up.sh (clean shutdown, SIGKILL after a grace period).
#   testenv/down.sh           # stop, keep data and logs for inspection
#   testenv/down.sh --clean   # stop and delete $STREAMTOP_TESTENV_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"

clean=0
[ "${1:-}" = --clean ] && clean=1

"$HERE/kafka.sh" stop &
k=$!
"$HERE/cassandra.sh" stop &
c=$!
rc=0
wait "$k" || rc=1
wait "$c" || rc=1
rm -f "$STREAMTOP_TESTENV_DIR/env"
if [ "$clean" = 1 ]; then
  for s in kafka cassandra; do
    d="$STREAMTOP_TESTENV_DIR/$s"
    [ -f "$d/.streamtop-testenv" ] && rm -rf "$d"
  done
  rmdir "$STREAMTOP_TESTENV_DIR" 2>/dev/null || true
fi
exit "$rc"
