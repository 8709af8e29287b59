#!/usr/bin/env bash
# Runs every Go fuzz target of the module (found with go test -list) for a
# set time each, one after the other, and prints the execs per target.
# A failing target prints its failure (the input goes to the package's
# testdata/fuzz/FuzzX/, where every later go test runs it) and the script
# exits 1.
#
# Usage: scripts/fuzz.sh [seconds per target, default 60]
set -uo pipefail
secs=${1:-60}
cd "$(dirname "$0")/.." || exit 1
targets=$(go test -list '^Fuzz' ./... | awk '
	/^Fuzz/ { names[n++] = $1; next }
	/^ok/   { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }') || exit 1
if [ -z "$targets" ]; then
	echo "no fuzz targets found" >&2
	exit 1
fi
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while read -r pkg name; do
	if go test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" "$pkg" >"$log" 2>&1; then
		result=ok
	elif grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
		# The time ran out while the fuzzer minimized a new input: the
		# go command reports that as a failure, but nothing failed.
		result="ok (time ran out while minimizing)"
	else
		result=FAILED
		status=1
	fi
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
	printf '%-46s %-36s %12s execs  %s\n' "$pkg" "$name" "${execs:-0}" "$result"
	if [ "$result" = FAILED ]; then
		sed -n '/--- FAIL/,$p' "$log" | head -40
	fi
done <<<"$targets"
exit $status
