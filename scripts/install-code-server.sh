#!/usr/bin/env bash
# Installs code-server (VS Code in the browser) for the offline end-to-end test, so that nothing
# downloads outside npm and apt: npm package without install scripts, VS Code's own dependencies
# without scripts, Debian's ripgrep in place of the one @vscode/ripgrep would download, native modules
# rebuilt against the local Node, node_modules.asar symlink. Also installs the Debian packages it
# needs (chromium, ripgrep, libkrb5-dev, build tools) when missing.
#
# Idempotent and non-interactive: a finished install is recognised by a stamp file and reused.
# Installs outside the repository's tracked files:
#   ${ELIXIR_SCOPE_CACHE:-$HOME/.cache/elixir-scope}/code-server-$CODE_SERVER_VERSION
# Prints the code-server entry point (…/bin/code-server) on its last line of output.
# Exits non-zero with a message saying what failed.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CACHE="${ELIXIR_SCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/elixir-scope}"
DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
PKG="$DIR/node_modules/code-server"
VSC="$PKG/lib/vscode"
STAMP="$DIR/.elixir-scope-install-ok"

say() { echo "install-code-server: $*"; }
fail() { echo "install-code-server: FAILED: $*" >&2; exit 1; }
step() { echo; echo "install-code-server: ── $*"; }

# Runs a command, printing it; on failure says which step failed (the command's own output is above).
run() {
  echo "+ $*"
  "$@" || fail "command failed (exit $?): $*"
}

# ── Node 20 (code-server 4.100.x requires it)
command -v node >/dev/null 2>&1 || fail "node is not on PATH; code-server $CODE_SERVER_VERSION needs Node.js 20."
command -v npm >/dev/null 2>&1 || fail "npm is not on PATH."
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" = 20 ] || fail "code-server $CODE_SERVER_VERSION needs Node.js 20; this is Node $(node -v)."

installed_ok() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$CODE_SERVER_VERSION $(node -v)" ] &&
    [ -x "$VSC/node_modules/@vscode/ripgrep/bin/rg" ] && [ -L "$VSC/node_modules.asar" ] &&
    [ -f "$PKG/out/node/entry.js" ]
}

# ── Debian packages
apt_missing=()
need_pkg() { # need_pkg <debian package> <test command…>
  local pkg="$1"; shift
  if ! "$@" >/dev/null 2>&1; then apt_missing+=("$pkg"); fi
}
need_pkg chromium test -x /usr/bin/chromium
need_pkg ripgrep command -v rg
need_pkg libkrb5-dev test -x /usr/bin/krb5-config.mit -o -f /usr/include/krb5.h -o -f /usr/include/krb5/krb5.h
need_pkg python3 command -v python3
need_pkg make command -v make
need_pkg g++ command -v g++
need_pkg pkg-config command -v pkg-config
need_pkg fonts-dejavu-core test -d /usr/share/fonts/truetype/dejavu
if [ "${#apt_missing[@]}" -gt 0 ]; then
  step "Debian packages missing: ${apt_missing[*]}"
  command -v apt-get >/dev/null 2>&1 || fail "not a Debian/Ubuntu system; install ${apt_missing[*]} yourself."
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "need root (or sudo) to apt-get install ${apt_missing[*]}."
    SUDO="sudo -n"
  fi
  run $SUDO apt-get update -qq
  run $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
else
  say "Debian packages present (chromium, ripgrep, libkrb5-dev, python3, make, g++, pkg-config, fonts)."
fi

if installed_ok; then
  say "code-server $CODE_SERVER_VERSION already installed in $DIR"
  echo "$DIR/bin/code-server"
  exit 0
fi

# Native modules compile against the local Node's headers (Debian's nodejs: /usr/include/node),
# never downloaded ones; npm must not stop to ask anything.
export npm_config_yes=true CI=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
if [ -z "${npm_config_nodedir:-}" ]; then
  NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [ -f "$NODE_PREFIX/include/node/node.h" ]; then export npm_config_nodedir="$NODE_PREFIX"; fi
fi

rm -f "$STAMP"
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{ "name": "elixir-scope-code-server", "private": true }' >"$DIR/package.json"

step "1/6 npm install --ignore-scripts code-server@$CODE_SERVER_VERSION (in $DIR)"
if [ "$(node -p "try{require('$PKG/package.json').version}catch{''}")" != "$CODE_SERVER_VERSION" ]; then
  (cd "$DIR" && run npm install --no-save --ignore-scripts --no-audit --no-fund "code-server@$CODE_SERVER_VERSION")
else
  say "code-server $CODE_SERVER_VERSION package already present"
fi
[ -f "$PKG/out/node/entry.js" ] || fail "code-server package has no out/node/entry.js"

step "2/6 npm install --omit=dev --ignore-scripts in lib/vscode"
(cd "$VSC" && run npm install --omit=dev --ignore-scripts --no-audit --no-fund)

step "3/6 Debian's ripgrep at lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
[ -d "$VSC/node_modules/@vscode/ripgrep" ] || fail "lib/vscode/node_modules/@vscode/ripgrep is missing after npm install"
mkdir -p "$VSC/node_modules/@vscode/ripgrep/bin"
run install -m 0755 "$(command -v rg)" "$VSC/node_modules/@vscode/ripgrep/bin/rg"

step "4/6 npm rebuild of VS Code's native modules (lib/vscode)"
native=()
for m in node-pty @vscode/spdlog @parcel/watcher native-watchdog kerberos @vscode/deviceid; do
  if [ -d "$VSC/node_modules/$m" ]; then native+=("$m"); else say "note: $m not present in lib/vscode, not rebuilt"; fi
done
(cd "$VSC" && run npm rebuild --foreground-scripts "${native[@]}")

step "5/6 npm rebuild argon2 (code-server's top level)"
if [ -d "$DIR/node_modules/argon2" ]; then
  (cd "$DIR" && run npm rebuild --foreground-scripts argon2)
elif [ -d "$PKG/node_modules/argon2" ]; then
  (cd "$PKG" && run npm rebuild --foreground-scripts argon2)
else
  say "note: argon2 not found (only needed for password auth; the test uses --auth none)"
fi

step "6/6 lib/vscode/node_modules.asar -> node_modules"
run ln -sfn node_modules "$VSC/node_modules.asar"

# A launcher that does not depend on the package's bin shim or on PATH.
mkdir -p "$DIR/bin"
cat >"$DIR/bin/code-server" <<EOF
#!/bin/sh
exec node "$PKG/out/node/entry.js" "\$@"
EOF
chmod 0755 "$DIR/bin/code-server"

step "check: code-server --version"
# An explicit config file, so that code-server does not write one (with a password) to ~/.config.
[ -f "$DIR/config.yaml" ] || printf 'auth: none\ncert: false\n' >"$DIR/config.yaml"
VERSION_OUT="$("$DIR/bin/code-server" --config "$DIR/config.yaml" --version 2>&1)" || fail "code-server --version failed: $VERSION_OUT"
echo "$VERSION_OUT"
echo "$VERSION_OUT" | grep -q "^$CODE_SERVER_VERSION " || fail "code-server --version does not say $CODE_SERVER_VERSION: $VERSION_OUT"
# The modules a debug session needs must load under this Node.
for m in node-pty @vscode/spdlog native-watchdog; do
  if [ -d "$VSC/node_modules/$m" ]; then
    (cd "$VSC" && node -e "require('$m')") || fail "native module $m does not load after rebuild"
  fi
done

echo "$CODE_SERVER_VERSION $(node -v)" >"$STAMP"
say "code-server $CODE_SERVER_VERSION installed in $DIR"
echo "$DIR/bin/code-server"
