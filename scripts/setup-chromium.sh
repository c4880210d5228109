#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the web page test (test/e2e/src/serve/page.test.ts)
# drives /usr/bin/chromium with playwright-core and never downloads a browser of its own.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "setup: installing chromium (Debian package)"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
