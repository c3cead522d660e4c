#!/usr/bin/env bash
# Removes the Optralis agent from this Linux machine:
#
#   curl -fsSL https://SERVER/uninstall.sh | sudo bash
#
# Stops and removes optralis-agent.service, /usr/local/bin/optralis-agent (and what its
# self-update leaves beside it), /etc/optralis-agent/ (configuration, certificates, key) and
# /var/log/optralis-agent/. It says what it could not remove, and succeeds when the agent is
# not installed. The machine stays listed on the server: revoke it there.
#
# The whole script is one brace group: bash reads it up to the closing brace on the last line
# before it runs any of it, so a download cut short runs nothing at all.
{

# Filled in by the server that serves the script.
installer_settings() {
  # BEGIN SETTINGS
  SERVER_URL=''
  # END SETTINGS
}

usage() {
  cat <<EOF
Removes the Optralis agent from this machine: service, program, configuration, certificates
and logs.

Usage: uninstall.sh [options]      (as root)

  --root DIR   remove an agent installed with install.sh --root DIR
  -h, --help   show this help
EOF
}

say() {
  printf '%s\n' "$*"
}

die() {
  printf 'optralis uninstall: %s\n' "$*" >&2
  exit 1
}

usage_error() {
  printf 'optralis uninstall: %s (see --help)\n' "$*" >&2
  exit 2
}

require_bash() {
  if [ -n "${BASH_VERSION:-}" ]; then return 0; fi
  if [ -f "$0" ] && command -v bash >/dev/null 2>&1; then exec bash "$0" "$@"; fi
  printf 'optralis uninstall: this script needs bash: pipe it into bash, or run: sudo bash %s\n' \
    "$0" >&2
  exit 1
}

parse_args() {
  ROOT=''
  while [ $# -gt 0 ]; do
    case $1 in
      --root)
        [ $# -ge 2 ] || usage_error '--root needs a value'
        ROOT=$2
        shift 2
        ;;
      --root=*) ROOT=${1#*=}; shift ;;
      -h | --help) usage; exit 0 ;;
      -*) usage_error "unknown option ${1%%=*}" ;;
      *) usage_error 'unexpected argument (options start with --)' ;;
    esac
  done
  if [ -n "$ROOT" ]; then
    printf '%s' "$ROOT" | grep -Eq '^/[A-Za-z0-9._/-]*$' ||
      usage_error '--root must be an absolute path of letters, digits and . _ - /'
    ROOT=${ROOT%/}
  fi
}

set_paths() {
  BIN_DIR="$ROOT/usr/local/bin"
  BIN="$BIN_DIR/optralis-agent"
  CONFIG_DIR="$ROOT/etc/optralis-agent"
  LOG_DIR="$ROOT/var/log/optralis-agent"
  UNIT_NAME='optralis-agent.service'
  UNIT_FILE="$ROOT/etc/systemd/system/$UNIT_NAME"
  WANTS_LINK="$ROOT/etc/systemd/system/multi-user.target.wants/$UNIT_NAME"
}

# The one place that talks to systemd. OPTRALIS_SYSTEMCTL names a program with systemctl's
# interface to use instead: the test suite's stand-in, since systemd cannot run there.
service_manager() {
  "${OPTRALIS_SYSTEMCTL:-systemctl}" "$@"
}

systemd_running() {
  if [ -n "${OPTRALIS_SYSTEMCTL:-}" ]; then return 0; fi
  [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# The machine id in config.json, to name the machine the administrator should revoke.
machine_id() {
  [ -r "$CONFIG_DIR/config.json" ] || return 0
  tr -d '\r\n' <"$CONFIG_DIR/config.json" |
    sed -n 's/.*"machine_id"[[:space:]]*:[[:space:]]*"\([A-Za-z0-9_-]*\)".*/\1/p'
}

stop_service() {
  if ! systemd_running; then return 0; fi
  if [ -e "$UNIT_FILE" ] || service_manager is-enabled --quiet "$UNIT_NAME" >/dev/null 2>&1 ||
    service_manager is-active --quiet "$UNIT_NAME" >/dev/null 2>&1; then
    say "Stopping and disabling $UNIT_NAME"
    service_manager disable --now "$UNIT_NAME" >/dev/null 2>&1 ||
      service_manager stop "$UNIT_NAME" >/dev/null 2>&1 ||
      NOT_REMOVED="$NOT_REMOVED
  the service $UNIT_NAME could not be stopped"
    FOUND=1
  fi
  # An update watchdog the agent started in a transient unit of its own.
  service_manager stop 'optralis-agent-update-watchdog-*' >/dev/null 2>&1 || true
}

# Whatever still runs from the agent's files (started by hand, or by another service manager).
stop_processes() {
  local proc exe pid
  for proc in /proc/[0-9]*; do
    exe=$(readlink "$proc/exe" 2>/dev/null) || continue
    case $exe in
      "$BIN" | "$BIN (deleted)" | "$BIN.previous" | "$BIN.previous (deleted)")
        pid=${proc#/proc/}
        say "Stopping agent process $pid"
        kill "$pid" 2>/dev/null || true
        FOUND=1
        ;;
    esac
  done
}

remove() {
  local item=$1 what=$2
  if [ ! -e "$item" ] && [ ! -L "$item" ]; then return 0; fi
  FOUND=1
  if rm -rf "$item" 2>/dev/null && [ ! -e "$item" ] && [ ! -L "$item" ]; then
    say "Removed $what: $item"
  else
    NOT_REMOVED="$NOT_REMOVED
  $what: $item"
  fi
}

remove_files() {
  local leftover
  remove "$UNIT_FILE" 'service unit'
  remove "$WANTS_LINK" 'service link'
  if systemd_running; then service_manager daemon-reload >/dev/null 2>&1 || true; fi
  remove "$BIN" program
  remove "$BIN.previous" 'previous program kept by the last update'
  remove "$BIN_DIR/.optralis-agent.update" 'unfinished update download'
  for leftover in "$BIN_DIR"/.optralis-agent.install.*; do
    remove "$leftover" 'unfinished install download'
  done
  remove "$CONFIG_DIR" 'configuration and certificates'
  remove "$LOG_DIR" logs
}

# With --root, the directories the install made inside DIR go too, once nothing is left in them.
prune_root() {
  local dir
  if [ -z "$ROOT" ]; then return 0; fi
  for dir in "${UNIT_FILE%/*}" "$BIN_DIR" "${LOG_DIR%/*}" "${CONFIG_DIR%/*}"; do
    while [ "${dir#"$ROOT"/}" != "$dir" ] && rmdir "$dir" 2>/dev/null; do
      dir=${dir%/*}
    done
  done
}

report() {
  local machine=$1
  if [ -n "$NOT_REMOVED" ]; then
    printf 'optralis uninstall: could not remove:%s\n' "$NOT_REMOVED" >&2
    exit 1
  fi
  if [ -z "$FOUND" ]; then
    say 'The Optralis agent is not installed on this machine; nothing to remove.'
    return 0
  fi
  say 'The Optralis agent was removed from this machine.'
  if [ -n "$machine" ]; then
    say "The server still lists it as machine $machine: revoke it there (dashboard, or"
    say "'optralis machines revoke $machine') so that its certificate can never be used again."
  fi
  if [ -n "$SERVER_URL" ]; then
    say "To install it again: curl -fsSL $SERVER_URL/install.sh | sudo bash -s -- --token-file FILE"
  fi
}

main() {
  require_bash "$@"
  set -euo pipefail
  installer_settings
  parse_args "$@"
  [ "$(id -u)" = 0 ] || die 'run the uninstaller as root (with sudo)'
  set_paths
  FOUND=''
  NOT_REMOVED=''
  local machine
  machine=$(machine_id)
  stop_service
  stop_processes
  remove_files
  prune_root
  report "$machine"
}

main "$@"
exit
}
