#!/usr/bin/env bash
# Installs the peers `icsync bench sync --peers` runs beside icsync, pinned, into DIR (default
# target/bench-peers): tap-intercom 2.2.5 (its own venv, the pins of the simulator's fidelity
# check), the official python-intercom SDK 5.0.1 (another venv) and the official Node SDK
# intercom-client 7.0.3 (a throwaway npm prefix). None of their code enters the repository;
# this script only installs them from the package registries. Idempotent: a tool already
# installed at its pinned version is left as it is.
#
# usage: crates/icsync-daemon/bench-peers/install.sh [DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dir="${1:-${CARGO_TARGET_DIR:-$root/target}/bench-peers}"
fidelity="$root/crates/icsync-intercom-sim/fidelity"
mkdir -p "$dir"

# make_venv DIR: a Python venv at DIR (Debian splits venv support out of python3; install it
# when we can).
make_venv() {
  [ -x "$1/bin/python" ] && return 0
  if ! python3 -m venv "$1"; then
    rm -rf "$1"
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    python3 -m venv "$1"
  fi
}

pip_install() {
  "$1/bin/pip" install --quiet --disable-pip-version-check "${@:2}"
}

make_venv "$dir/tap-venv"
if ! "$dir/tap-venv/bin/pip" show tap-intercom 2>/dev/null | grep -qx 'Version: 2.2.5'; then
  pip_install "$dir/tap-venv" -r "$fidelity/tap-requirements.txt"
fi
echo "tap-intercom 2.2.5 in $dir/tap-venv"

make_venv "$dir/sdk-venv"
if ! "$dir/sdk-venv/bin/pip" show python-intercom 2>/dev/null | grep -qx 'Version: 5.0.1'; then
  pip_install "$dir/sdk-venv" python-intercom==5.0.1
fi
echo "python-intercom 5.0.1 in $dir/sdk-venv"

command -v node >/dev/null && command -v npm >/dev/null \
  || { echo "node and npm are needed for the Node SDK (apt-get install nodejs npm)"; exit 1; }
if ! grep -q '"version": "7.0.3"' "$dir/node/node_modules/intercom-client/package.json" 2>/dev/null; then
  mkdir -p "$dir/node"
  npm install --prefix "$dir/node" --no-save --no-audit --no-fund --loglevel=error intercom-client@7.0.3 >/dev/null
fi
echo "intercom-client 7.0.3 in $dir/node"
