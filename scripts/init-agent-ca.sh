#!/usr/bin/env bash
# Creates the Optralis agent CA in /etc/optralis/ca (the specification's layout): ca.key (0600),
# ca.crt and ca-bundle.crt. An existing CA is never touched unless --force is given; then it is
# backed up first, and every agent must be reinstalled. For a CA change without reinstalling
# agents, use "optralis ca rotate" instead.
#
# The directory is 0700, so only its owner reads it: run as root, the script gives it to uid
# 10001, the user of the server container (deploy/Dockerfile), unless --owner says otherwise.
# Without that, the container could not read its own CA.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo ./scripts/init-agent-ca.sh [--dir DIR] [--owner USER|UID] [--force]

  --dir DIR     where the CA lives (default /etc/optralis/ca)
  --owner ID    give the directory to this user or user:group (default, as root: 10001:10001,
                the server container's user; "--owner root" for a root-run host install)
  --force       replace an existing CA after backing it up (all agents must be reinstalled)
USAGE
}

# The uid and gid deploy/Dockerfile gives the server.
CONTAINER_OWNER=10001:10001

main() {
  local dir=/etc/optralis/ca owner='' force=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
      --owner) owner=${2:?--owner needs a user}; shift 2 ;;
      --force) force=(--force); shift ;;
      -h | --help) usage; return 0 ;;
      *) echo "init-agent-ca: unknown option $1" >&2; usage >&2; return 2 ;;
    esac
  done

  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if [ ! -f "$root/packages/server/dist/optralis.mjs" ]; then
    echo "init-agent-ca: building the server first"
    (cd "$root" && npm run build --silent)
  fi

  mkdir -p "$(dirname "$dir")"
  node "$root/packages/server/bin/optralis.mjs" ca init --dir "$dir" "${force[@]}"
  chmod 0700 "$dir"
  if [ -z "$owner" ] && [ "$(id -u)" -eq 0 ]; then
    owner=$CONTAINER_OWNER
    echo "init-agent-ca: giving $dir to $owner, the server container's user (--owner to change)"
  fi
  if [ -n "$owner" ]; then
    # Every time, --force included: the files it rewrites would otherwise be root's again.
    chown -R "$owner" "$dir"
  else
    echo "init-agent-ca: $dir stays owned by $(id -un), and it is 0700: the server container" \
      "(uid 10001) cannot read it. Run as root, or with --owner 10001:10001, to deploy with" \
      "deploy/docker-compose.yml." >&2
  fi
  ls -la "$dir"
}

main "$@"
