#!/usr/bin/env bash
# peers/lock.sh NAME COORD... : resolve Maven coordinates (g:a:v) with their
# runtime dependencies and write peers/NAME/jars.lock (PATH SHA256 SIZE, PATH
# relative to a Maven repository root). A developer step: streamtop itself
# downloads the locked jars from Maven Central and checks them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="$1"; shift
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="${STREAMTOP_LOCK_M2:-$HOME/.cache/streamtop/m2/peers}"
deps=""
for c in "$@"; do
  IFS=: read -r g a v <<<"$c"
  deps+="<dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
done
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>streamtop.peers</groupId><artifactId>$name</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
POM
(cd "$work" && JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 mvn -B -q -Dmaven.repo.local="$repo" \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:list \
  -DincludeScope=runtime -DoutputAbsoluteArtifactFilename=true -DoutputFile="$work/list.txt" >"$work/mvn.log" 2>&1) \
  || { tail -40 "$work/mvn.log" >&2; exit 1; }
mkdir -p "$here/$name"
out="$here/$name/jars.lock"
{
  echo "# $name: $* (runtime scope), written by peers/lock.sh"
  grep -oE '/[^ ]+\.jar' "$work/list.txt" | sort -u | while read -r f; do
    rel="${f#"$repo"/}"
    printf '%s %s %s\n' "$rel" "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")"
  done
} >"$out"
echo "$out: $(grep -vc '^#' "$out") jars, $(awk '!/^#/{s+=$3} END{printf "%.0f MB", s/1e6}' "$out")" >&2
