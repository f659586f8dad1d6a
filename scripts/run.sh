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
exec java ${HERALD_JAVA_OPTS:-} -jar "$jar" "$@"
