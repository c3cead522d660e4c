#!/usr/bin/env bash
# A stand-in for systemctl, for the installer tests: systemd cannot run as process 1 here. The
# installers reach it through OPTRALIS_SYSTEMCTL. It keeps its state in FAKE_SYSTEMCTL_STATE,
# logs every call there (calls.log), and runs a unit's ExecStart line the way systemd would
# with Restart=on-failure: started again after a failure status, left stopped after status 0.
# Units are found in FAKE_SYSTEMCTL_UNITS (the /etc/systemd/system of the test) or where
# `link` put them.
set -euo pipefail

state=${FAKE_SYSTEMCTL_STATE:?}
units=${FAKE_SYSTEMCTL_UNITS:-/nonexistent}
mkdir -p "$state/enabled" "$state/links" "$state/run"
printf '%s\n' "$*" >>"$state/calls.log"

unit_file() {
  if [ -L "$state/links/$1" ]; then
    readlink "$state/links/$1"
  elif [ -e "$units/$1" ]; then
    printf '%s\n' "$units/$1"
  else
    return 1
  fi
}

main_pid() {
  local pid
  pid=$(cat "$state/run/$1.main" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

supervisor_pid() {
  local pid
  pid=$(cat "$state/run/$1.supervisor" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

start() {
  local file exec
  file=$(unit_file "$1") || { echo "Unit $1 not found." >&2; return 5; }
  exec=$(sed -n 's/^ExecStart=//p' "$file")
  [ -n "$exec" ] || { echo "$1 has no ExecStart" >&2; return 1; }
  supervisor_pid "$1" >/dev/null && return 0
  # The supervisor runs detached, in a session of its own, as the service would.
  # shellcheck disable=SC2016 # expanded by the supervisor's shell, from its environment
  FAKE_EXEC=$exec FAKE_MAIN="$state/run/$1.main" setsid bash -c '
    trap "kill \$(cat \"\$FAKE_MAIN\") 2>/dev/null; exit 0" TERM
    while :; do
      $FAKE_EXEC &
      echo $! >"$FAKE_MAIN"
      status=0
      wait $! || status=$?
      [ "$status" = 0 ] && exit 0
      sleep 1
    done' </dev/null >>"$state/run/$1.log" 2>&1 &
  echo $! >"$state/run/$1.supervisor"
}

stop() {
  local unit pid main
  for unit in "$@"; do
    if pid=$(supervisor_pid "$unit"); then
      main=$(main_pid "$unit" || true)
      kill "$pid" 2>/dev/null || true
      if [ -n "$main" ]; then kill "$main" 2>/dev/null || true; fi
      while kill -0 "$pid" 2>/dev/null || { [ -n "$main" ] && kill -0 "$main" 2>/dev/null; }; do
        sleep 0.1
      done
    fi
    rm -f "$state/run/$unit.supervisor" "$state/run/$unit.main"
  done
}

quiet=''
now=''
args=()
for arg in "$@"; do
  case $arg in
    --quiet | -q) quiet=1 ;;
    --now) now=1 ;;
    *) args+=("$arg") ;;
  esac
done
set -- "${args[@]}"
command=$1
shift

case $command in
  daemon-reload) ;;
  link)
    ln -sfn "$1" "$state/links/$(basename "$1")"
    [ -n "$quiet" ] || echo "Created symlink for $1."
    ;;
  enable)
    unit_file "$1" >/dev/null || { echo "Failed to enable unit: Unit file $1 does not exist." >&2; exit 1; }
    touch "$state/enabled/$1"
    if [ -n "$now" ]; then start "$1"; fi
    ;;
  disable)
    rm -f "$state/enabled/$1" "$state/links/$1"
    if [ -n "$now" ]; then stop "$1"; fi
    ;;
  start) start "$1" ;;
  restart) stop "$1"; start "$1" ;;
  stop)
    # Patterns such as optralis-agent-update-watchdog-* name every matching unit.
    for unit in "$@"; do
      case $unit in
        *'*'*) for run in "$state"/run/$unit.supervisor; do [ -e "$run" ] && stop "$(basename "$run" .supervisor)"; done ;;
        *) stop "$unit" ;;
      esac
    done
    ;;
  is-active)
    if main_pid "$1" >/dev/null; then [ -n "$quiet" ] || echo active; exit 0; fi
    [ -n "$quiet" ] || echo inactive
    exit 3
    ;;
  is-enabled)
    if [ -e "$state/enabled/$1" ]; then [ -n "$quiet" ] || echo enabled; exit 0; fi
    [ -n "$quiet" ] || echo disabled
    exit 1
    ;;
  *) echo "fake systemctl: $command is not supported" >&2; exit 1 ;;
esac
