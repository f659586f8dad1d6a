#!/usr/bin/env bash
# Runs Herald: builds server/target/herald.jar when it is missing or older than the sources, then starts it.
# With no HERALD_JWT_SECRET / HERALD_JWT_PUBLIC_KEY it runs in development mode with the in-process broker
# and prints ready tokens. Any arguments are passed on (e.g. --port=9090, --config herald.properties).
set -euo pipefail
cd "$(dirname "$0")/.."

jar=server/target/herald.jar
if [[ ! -f $jar ]] || [[ -n $(find pom.xml server/pom.xml server/src/main -newer "$jar" -print -quit) ]]; then
  echo "building $jar ..." >&2
  mvn -q -B -DskipTests package >&2
fi
# A bounded heap: with the JVM's default (a quarter of RAM) G1 lets garbage pile up in a young generation sized for
# that maximum, and an idle connection cost 22 KB of RSS instead of 2.2 KB at -Xmx2g (docs/benchmarks.md, issue 14).
# HERALD_JAVA_OPTS replaces these options entirely.
exec java ${HERALD_JAVA_OPTS:--Xmx2g} -jar "$jar" "$@"
