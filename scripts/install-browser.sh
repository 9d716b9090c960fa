#!/bin/sh
# Installs Debian's Chromium (and, through apt, its shared-library dependencies) for the webview and
# end-to-end browser tests, when it is missing. Idempotent: does nothing when /usr/bin/chromium runs.
set -eu

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ] && "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --version >/dev/null 2>&1; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: $CHROMIUM is missing and this is not a Debian/Ubuntu system; install Chromium and set CHROMIUM_PATH." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-browser: need root (or sudo) to apt-get install chromium." >&2
    exit 1
  fi
fi

echo "install-browser: installing chromium with apt-get…"
$SUDO apt-get update -qq
# fonts-dejavu-core: the monospace font the views and their screenshots use.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $("$CHROMIUM" --version 2>/dev/null)"
