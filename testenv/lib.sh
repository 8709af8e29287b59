# shellcheck shell=bash
# Shared helpers for testenv/*.sh. Sourced, not executed.

# shellcheck disable=SC2034 # used by the sourcing scripts
TESTENV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# JDK 17 explicitly: Cassandra 5.0 does not start on newer JDKs (e.g. Temurin 25).
STREAMTOP_JAVA_HOME="${STREAMTOP_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
JAVA="$STREAMTOP_JAVA_HOME/bin/java"

STREAMTOP_CACHE="${STREAMTOP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamtop}"
STREAMTOP_TESTENV_DIR="${STREAMTOP_TESTENV_DIR:-${TMPDIR:-/tmp}/streamtop-testenv-$(id -u)}"

# maven-dependency-plugin version used by the generated poms (works with Maven 3.8.x).
MVN_DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

log() { printf '[testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_ms() { date +%s%3N; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root to run: $*"; fi
}

# ensure_apt PKG CMD: install Debian package PKG if command CMD is missing.
ensure_apt() {
  local pkg="$1" cmd="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  log "installing $pkg (apt) for $cmd"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2 \
    || { as_root apt-get update -q >&2 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2; } \
    || die "could not install $pkg"
}

check_java() {
  [ -x "$JAVA" ] || die "JDK 17 not found at $STREAMTOP_JAVA_HOME (set STREAMTOP_JAVA_HOME)"
  "$JAVA" -version 2>&1 | grep -q 'version "17' \
    || die "$JAVA is not a Java 17 runtime (set STREAMTOP_JAVA_HOME to a JDK 17)"
}

# fetch_jars NAME COORD... : resolve Maven coordinates (g:a:v) with their runtime
# dependencies into $STREAMTOP_CACHE/jars/NAME once; echo that directory.
# A .complete marker makes later runs skip Maven entirely (no network).
fetch_jars() {
  local name="$1"; shift
  local dir="$STREAMTOP_CACHE/jars/$name" want
  want="$(printf '%s\n' "$@")"
  # .complete holds the coordinates the directory was resolved from.
  if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$want" ]; then echo "$dir"; return 0; fi
  command -v mvn >/dev/null 2>&1 || ensure_apt maven mvn
  mkdir -p "$STREAMTOP_CACHE"
  # One Maven local repository per service, so up.sh can fetch kafka and
  # cassandra in parallel; the lock only serialises fetches of the same NAME.
  exec 9>"$STREAMTOP_CACHE/.fetch-$name.lock"
  flock 9
  if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$want" ]; then exec 9>&-; echo "$dir"; return 0; fi
  local work="$STREAMTOP_CACHE/poms/$name" deps="" c g a v t0
  mkdir -p "$work"
  for c in "$@"; do
    IFS=: read -r g a v <<<"$c"
    deps+="<dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
  done
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>streamtop.testenv</groupId><artifactId>$name</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
POM
  rm -rf "$dir.tmp"
  log "resolving $name from Maven Central: $* (first run only)"
  t0=$(now_ms)
  if ! (cd "$work" && JAVA_HOME="$STREAMTOP_JAVA_HOME" timeout "${STREAMTOP_FETCH_TIMEOUT:-900}" mvn -B -q \
        -Dmaven.repo.local="$STREAMTOP_CACHE/m2/$name" \
        "$MVN_DEP_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$dir.tmp" >"$work/mvn.log" 2>&1); then
    tail -n 40 "$work/mvn.log" >&2
    exec 9>&-
    die "Maven resolution of $name failed (log: $work/mvn.log)"
  fi
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  printf '%s\n' "$want" >"$dir/.complete"
  log "resolved $name: $(find "$dir" -name '*.jar' | wc -l) jars, $(du -sh "$dir" | cut -f1), $(( ($(now_ms) - t0) / 1000 ))s"
  exec 9>&-
  echo "$dir"
}

# port_busy PORT: true if something listens on 127.0.0.1:PORT.
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# read_pid PIDFILE [MARKER]: pid from PIDFILE; if that is missing or stale and
# MARKER is given, look for the JVM started with -Dstreamtop.testenv=MARKER
# (exact match, so only the process of that service and directory).
read_pid() {
  local pid=""
  [ -f "$1" ] && pid="$(cat "$1" 2>/dev/null || true)"
  if ! pid_alive "$pid" && [ -n "${2:-}" ]; then
    local re
    re="$(printf '%s' "$2" | sed 's/[][\.*^$+?(){}|]/\\&/g')"
    pid="$(pgrep -f -- "-Dstreamtop\.testenv=$re( |\$)" | head -n 1 || true)"
  fi
  echo "$pid"
}

# stop_pid PIDFILE NAME GRACE_SECONDS [MARKER]: SIGTERM, wait, then SIGKILL.
# GRACE_SECONDS=0 sends SIGKILL straight away (crash simulation).
stop_pid() {
  local pidfile="$1" name="$2" grace="${3:-30}" pid i
  pid="$(read_pid "$pidfile" "${4:-}")"
  if ! pid_alive "$pid"; then rm -f "$pidfile"; log "$name: not running"; return 0; fi
  if [ "$grace" = 0 ]; then log "$name: killing pid $pid (SIGKILL)"
  else log "$name: stopping pid $pid"; kill -TERM "$pid" 2>/dev/null || true; fi
  for ((i = 0; i < grace * 10; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    [ "$grace" = 0 ] || log "$name: still alive after ${grace}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
  log "$name: stopped"
}

# prepare_dir DIR FRESH: create DIR; with FRESH=1 wipe it first, but only if it
# is empty or was created by testenv (marker file), never an arbitrary folder.
prepare_dir() {
  local dir="$1" fresh="$2"
  if [ "$fresh" = 1 ] && [ -d "$dir" ]; then
    if [ -f "$dir/.streamtop-testenv" ] || [ -z "$(ls -A "$dir")" ]; then rm -rf "$dir"
    else die "refusing to wipe $dir: not a testenv directory (no .streamtop-testenv marker)"; fi
  fi
  mkdir -p "$dir"
  touch "$dir/.streamtop-testenv"
}

rss_mb() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

log_tail() {
  local f="$1" n="${2:-60}"
  [ -f "$f" ] || return 0
  echo "----- last $n lines of $f -----" >&2
  tail -n "$n" "$f" | cut -c1-400 >&2
  echo "----- end of $f -----" >&2
}

# wait_ready NAME PID PIDFILE LOGFILE TIMEOUT T0_MS PROBE_FN: poll PROBE_FN until it
# succeeds; on death or timeout print the log tail, stop the process, exit 1.
wait_ready() {
  local name="$1" pid="$2" pidfile="$3" logfile="$4" timeout="$5" t0="$6" probe="$7"
  while ! "$probe"; do
    if ! pid_alive "$pid"; then
      rm -f "$pidfile"; log_tail "$logfile" 80
      die "$name: process exited during start-up (log: $logfile)"
    fi
    if (( $(now_ms) - t0 > timeout * 1000 )); then
      log_tail "$logfile" 80
      stop_pid "$pidfile" "$name" 10
      die "$name: not ready within ${timeout}s (log: $logfile)"
    fi
    sleep 0.5
  done
}
