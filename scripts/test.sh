#!/usr/bin/env bash
# Runs every test: the README walk-through against a real Herald, then the Maven build with all unit,
# EmbeddedChannel and end-to-end tests (paranoid ByteBuf leak detection; a leak fails the build).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/readme-walkthrough.sh
mvn -B verify
