#!/usr/bin/env bash
# Shared by ./run and ./fault-server: builds the kit when needed, then runs dev.pigeonhole.conformance.Kit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$here/target/conformance-0.1.0-SNAPSHOT.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$here/pom.xml" "$here/src/main" "$root/protocol/src/main" -newer "$jar" -type f 2>/dev/null | head -n 1)" ]; then
  echo "Building the conformance kit..." >&2
  (cd "$root" && ./mvnw -q -B -Dmaven.test.skip=true -pl conformance -am package >&2)
  touch "$jar" # an up-to-date jar is not rewritten: mark it checked
fi
exec java -Dconformance.home="$here" -cp "$jar:$here/target/lib/*" dev.pigeonhole.conformance.Kit "$@"
