#!/usr/bin/env bash
# CPU per event of the engine role (`streamtop engine`) against a real Kafka.
#
#   scripts/engine-cpu.sh -b 127.0.0.1:39492 [enginecpu flags] [-- extra streamtop engine flags]
#
# Builds streamtop from this worktree (or uses $STREAMTOP_BIN), writes the
# events topic once (-topic, default enginecpu-events: 100 devices × 30 000
# events, ~3.15 M events, virtual clock, run key in -run-key-file), then
# runs the engine over it -runs times (3) as a fresh group, lateness 10 min,
# dedup on, marker checks on, and prints events per CPU-second and CPU µs per
# event (user + system of the process from launch to its last result) for
# each run and their median. Compare builds on the same topic, alternating.
# -cpuprofile-dir DIR keeps each run's pprof profile. `-h` lists the flags.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${STREAMTOP_BIN:-}"
if [ -z "$bin" ]; then
  bin="$(mktemp -d)/streamtop"
  (cd "$root" && go build -o "$bin" ./cmd/streamtop)
fi
cd "$root"
exec go run ./scripts/enginecpu -bin "$bin" "$@"
