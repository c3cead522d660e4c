#!/usr/bin/env bash
# Deploys Optralis on the server that runs deploy/docker-compose.yml: pulls the repository,
# brings node_modules in step with it, builds the Linux agents, rebuilds and restarts the
# containers. Stops at the first failure.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: bash scripts/deploy.sh [options]

  --skip-api          do not rebuild or restart the server container
  --skip-dashboard    do not rebuild the dashboard (it ships inside the server image, so this
                      matters only together with --skip-api: "agents only")
  --skip-git          do not pull from git first
  --ai-only           (from the specification) this deployment has no AI service: does nothing
  --agent-version V   version of the agents to build (default: packages/agent/package.json)
  --channel C         stable or beta (default stable)
  --dry-run           print the commands instead of running them
USAGE
}

run() {
  echo "+ $*"
  if [ "$dry_run" = 0 ]; then "$@"; fi
}

compose() {
  if docker compose version >/dev/null 2>&1; then
    run docker compose -f deploy/docker-compose.yml "$@"
  else
    run docker-compose -f deploy/docker-compose.yml "$@"
  fi
}

# The server services this host runs: "server", and "server-2" when the replica profile is on
# (docs/operations.md, "Scale out"). Compose takes COMPOSE_PROFILES from the environment first,
# then from deploy/.env; so does this. Read here rather than asked of compose: docker-compose 1.x
# lists every service whatever the profiles.
server_services() {
  local profiles
  if [ -n "${COMPOSE_PROFILES+set}" ]; then
    profiles=$COMPOSE_PROFILES
  elif [ -f deploy/.env ]; then
    profiles=$(sed -n -e 's/[[:space:]]\{1,\}#.*$//' \
      -e 's/^[[:space:]]*COMPOSE_PROFILES[[:space:]]*=[[:space:]]*//p' deploy/.env |
      tail -n 1 | tr -d "\"' \r\t")
  fi
  echo server
  case ",${profiles:-}," in
    *,replica,* | *,\*,*) echo server-2 ;;
  esac
}

main() {
  local skip_api=0 skip_dashboard=0 skip_git=0 version='' channel=stable
  dry_run=0
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --skip-api) skip_api=1; shift ;;
      --skip-dashboard) skip_dashboard=1; shift ;;
      --skip-git) skip_git=1; shift ;;
      --ai-only)
        echo "deploy: this Optralis deployment has no AI service; there is nothing to rebuild."
        return 0
        ;;
      --agent-version) version=${2:?--agent-version needs a version}; shift 2 ;;
      --channel) channel=${2:?--channel needs stable or beta}; shift 2 ;;
      --dry-run) dry_run=1; shift ;;
      -h | --help) usage; return 0 ;;
      *) echo "deploy: unknown option $1" >&2; usage >&2; return 2 ;;
    esac
  done
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  if [ -z "$version" ]; then
    version=$(node -p 'require("./packages/agent/package.json").version')
  fi

  echo "== 1. source"
  if [ "$skip_git" = 1 ]; then echo "skipped (--skip-git)"; else run git pull --ff-only; fi

  echo "== 2. npm dependencies"
  # The agents are built with the host's node and node_modules, which a pull may have left
  # behind package-lock.json. Also with --skip-git (the tree may have changed by other means):
  # setup.sh does nothing when the lockfile is the one last installed.
  # shellcheck disable=SC2086 # OPTRALIS_SETUP may hold a command and its arguments.
  run ${OPTRALIS_SETUP:-bash scripts/setup.sh} --node-only

  echo "== 3. Linux agents $version ($channel)"
  # shellcheck disable=SC2086 # OPTRALIS_BUILD_AGENT may hold a command and its arguments.
  run ${OPTRALIS_BUILD_AGENT:-bash scripts/build-agent.sh} -v "$version" -c "$channel"

  echo "== 4. containers"
  if [ "$skip_api" = 1 ] && [ "$skip_dashboard" = 1 ]; then
    echo "skipped (--skip-api --skip-dashboard: agents only)"
    return 0
  fi
  if [ "$skip_api" = 1 ]; then
    echo "server container kept (--skip-api); the dashboard ships inside it"
  else
    local services
    services=$(server_services)
    compose build server
    # Every replica, so that none keeps running the previous version; they share one image.
    # shellcheck disable=SC2086 # one service name per word
    compose up -d $services
  fi
  compose up -d caddy
  compose restart caddy
  echo "deploy: done"
}

main "$@"
