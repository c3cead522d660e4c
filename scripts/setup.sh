#!/usr/bin/env bash
# Installs what the product and its test suite need on Debian or Ubuntu: system packages (only
# those missing) and the npm dependencies (only when package-lock.json changed).
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools the tests drive for real: agent binaries under qemu and Wine, Authenticode signing,
# shell linting, the reverse proxy, the browser for the dashboard, the PostgreSQL client, and
# docker-compose to validate the deployment file (no Docker engine is needed); strace and
# systemd-analyze for the Linux installer tests (systemd itself does not run there).
PACKAGES=(
  qemu-user libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross
  binutils binutils-aarch64-linux-gnu
  wine64 osslsigncode shellcheck caddy chromium busybox postgresql-client docker-compose
  ca-certificates curl strace systemd
)

need_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "setup: Node.js 20.19 or newer is required (https://nodejs.org or your distribution)." >&2
    exit 1
  fi
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    echo "setup: Node.js $(node --version) is too old; 20.19 or newer is required." >&2
    exit 1
  fi
}

install_system_packages() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_node_modules() {
  local stamp=node_modules/.optralis-lock
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
}

need_node
if [ "${1:-}" != "--node-only" ]; then
  install_system_packages
fi
install_node_modules
