#!/usr/bin/env bash
# What scripts/test.sh needs besides a JDK and Maven, installed from Debian's packages when missing (as root, or
# through sudo), so that the README's test command works on a fresh Debian/Ubuntu machine; elsewhere it names what
# to install and stops. Then the pinned npm packages of the Node test helpers (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

updated=""
install() {
  local pkg=$1
  local as=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      as=(sudo)
    else
      echo "scripts/test.sh needs the Debian package '$pkg' (or its equivalent): install it and run again" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null; then
    echo "scripts/test.sh needs '$pkg' and this machine has no apt-get: install it and run again" >&2
    exit 1
  fi
  [[ -n $updated ]] || { "${as[@]}" apt-get update -qq; updated=1; }
  "${as[@]}" apt-get install -y -qq "$pkg"
}

command -v python3 >/dev/null || install python3   # the closing test count
command -v curl >/dev/null || install curl         # the README walk-through
command -v openssl >/dev/null || install openssl   # TLS test certificates
# The Redis broker tests start their own redis-server processes on free ports (never the machine's own Redis);
# the cluster test also needs redis-cli (--cluster create). Debian's redis-server package brings both.
{ command -v redis-server >/dev/null && command -v redis-cli >/dev/null; } || install redis-server
# Node: the official socket.io-client and a Socket.IO app (server/src/test/node), playwright-core for the browser
# tests, and client-js's build and tests; every package pinned by a package-lock.json.
command -v node >/dev/null || install nodejs
command -v npm >/dev/null || install npm
# The admin page's and client-js's browser tests drive Debian's chromium (playwright-core, executablePath).
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || install chromium

(cd server/src/test/node && npm ci --no-audit --no-fund)
