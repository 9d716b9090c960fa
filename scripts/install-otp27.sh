#!/usr/bin/env bash
# Installs a second Erlang/OTP — 27, with Elixir 1.18 — for the agent's tests on OTP >= 27 (trace
# sessions, newer compiler and Elixir diagnostics): a minimal Debian trixie root made by debootstrap
# from Debian's own packages (bookworm's libc is too old for trixie's erlang-base, so it cannot be
# installed beside OTP 25). Needs root. Idempotent: a finished root is recognised by a stamp file.
#   where scripts/otp27-root.js says (default ${ELIXIR_SCOPE_CACHE:-$HOME/.cache/elixir-scope}/trixie-otp27)
# Prints the root's path on its last line of output. Exits non-zero with a message saying what failed.
set -euo pipefail

command -v node >/dev/null || { echo "install-otp27: FAILED: Node.js is needed (it says where the root goes)" >&2; exit 1; }
# The one definition of where the root lives (tests and bench read it too).
ROOT="$(node -p "require('$(cd "$(dirname "$0")" && pwd)/otp27-root.js').root")"
CACHE="$(dirname "$ROOT")"
STAMP="$ROOT/.elixir-scope-install-ok"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES=erlang-base,erlang-dev,erlang-eunit,erlang-tools,erlang-crypto,erlang-syntax-tools,erlang-parsetools,elixir

fail() { echo "install-otp27: FAILED: $*" >&2; exit 1; }

if [ -f "$STAMP" ] && [ -x "$ROOT/usr/bin/erl" ]; then
  echo "install-otp27: already installed"
  echo "$ROOT"
  exit 0
fi
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap and chroot); run: sudo bash scripts/install-otp27.sh"
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap \
    || fail "apt-get install debootstrap"
fi
rm -rf "$ROOT"
mkdir -p "$CACHE"
echo "install-otp27: debootstrap trixie ($PACKAGES) into $ROOT"
debootstrap --variant=minbase --include="$PACKAGES" trixie "$ROOT" "$MIRROR" >"$CACHE/install-otp27.log" 2>&1 \
  || { tail -20 "$CACHE/install-otp27.log" >&2; fail "debootstrap (full log: $CACHE/install-otp27.log)"; }
OTP=$(chroot "$ROOT" erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().') \
  || fail "erl does not start inside $ROOT"
[ "$OTP" -ge 27 ] || fail "expected OTP >= 27 in $ROOT, got $OTP"
touch "$STAMP"
echo "install-otp27: OTP $OTP ready"
echo "$ROOT"
