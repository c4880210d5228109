#!/usr/bin/env bash
# Installs what a fresh machine lacks (pnpm, nats-server), then the workspace (which builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nats-server >/dev/null 2>&1; then
  echo "setup: installing nats-server (Debian package)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nats-server >/dev/null
fi
want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  echo "setup: installing pnpm $want"
  npm install -g --silent "pnpm@$want"
fi
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
