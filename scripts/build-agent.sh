#!/usr/bin/env bash
# Builds the Linux agent executables (amd64 and arm64) and metadata-linux.json into
# $OPTRALIS_DOWNLOADS_DIR/{channel}/ (default deploy/downloads); --windows adds the Windows
# executable and metadata-windows.json.
# A thin wrapper: the build itself is scripts/build-agent.mjs.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: bash scripts/build-agent.sh -v VERSION [-c stable|beta] [--windows] [-- build options]

  -v, --version VERSION   version to build (semver, required)
  -c, --channel CHANNEL   stable (default) or beta
      --windows           also build the Windows executable
  -h, --help              this help; `node scripts/build-agent.mjs --help` lists the rest
USAGE
}

main() {
  local version="" channel="stable" windows=0
  local extra=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      -v | --version) version="${2:-}"; shift 2 || { usage >&2; exit 64; } ;;
      -c | --channel) channel="${2:-}"; shift 2 || { usage >&2; exit 64; } ;;
      --windows) windows=1; shift ;;
      -h | --help) usage; exit 0 ;;
      --) shift; extra=("$@"); break ;;
      *) echo "build-agent.sh: unknown option $1" >&2; usage >&2; exit 64 ;;
    esac
  done
  if [ -z "$version" ]; then
    echo "build-agent.sh: -v VERSION is required" >&2
    usage >&2
    exit 64
  fi

  local targets="linux-amd64,linux-arm64"
  [ "$windows" -eq 1 ] && targets="$targets,windows-amd64"
  cd "$(dirname "$0")/.."
  exec node scripts/build-agent.mjs --version "$version" --channel "$channel" \
    --targets "$targets" "${extra[@]}"
}

main "$@"
