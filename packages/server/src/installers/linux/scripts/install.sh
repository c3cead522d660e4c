#!/usr/bin/env bash
# Optralis agent installer for Linux (amd64 and arm64).
#
#   curl -fsSL https://SERVER/install.sh | sudo bash -s -- --token-file /root/optralis.token
#   curl -fsSL https://SERVER/install.sh | sudo bash -s -- --token TOKEN [--channel beta]
#
# The agent makes this machine's key itself (`optralis-agent enroll`: the private key never
# leaves the machine) and trades the install token for the machine's certificate. The script
# downloads the build named by the channel's metadata-linux.json, checks its SHA-256, installs
# /usr/local/bin/optralis-agent, /etc/optralis-agent/ and optralis-agent.service, and starts
# it. Running it again upgrades or repairs in place and keeps the machine's identity. A
# personalized installer (install-optralis-agent.sh) is this script with its token or
# certificate filled in by the server. `--help` lists the options.
#
# The whole script is one brace group: bash reads it up to the closing brace on the last line
# before it runs any of it, so a download cut short runs nothing at all.
# shellcheck disable=SC2317 # finish and the roll-back run from the EXIT trap
{

# Filled in by the server that serves the script.
installer_settings() {
  # BEGIN SETTINGS
  SERVER_URL=''
  CHANNEL='stable'
  INSTALLER_MODE='generic'
  INSTALLER_ARCH=''
  CLIENT_ID=''
  MACHINE_ID=''
  AGENT_API_URL=''
  EMBEDDED_TOKEN=''
  EMBEDDED_CA=''
  EMBEDDED_CA_SHA256=''
  EMBEDDED_CERTIFICATE=''
  EMBEDDED_CERTIFICATE_SHA256=''
  EMBEDDED_KEY=''
  EMBEDDED_KEY_SHA256=''
  EMBEDDED_RELEASE_KEY=''
  EMBEDDED_RELEASE_KEY_SHA256=''
  # END SETTINGS
}

usage() {
  cat <<EOF
Installs the Optralis agent on this machine, or upgrades and repairs it in place.

Usage: install.sh [options]        (as root)

  --token-file FILE   read the install token from FILE (keeps it out of the process list)
  --token TOKEN       the install token (also read from OPTRALIS_TOKEN)
  --url URL           the Optralis server (default: ${SERVER_URL:-none})
  --channel NAME      stable or beta (default: $CHANNEL, or the channel it is installed on);
                      on an enrolled machine, moves it to that channel on the server too
  --no-service        install without the systemd service (containers, other init systems);
                      start '/usr/local/bin/optralis-agent run' with your own service manager
  --reenroll          enroll again even though this machine has a working identity
  --root DIR          install everything under DIR instead of / (trials, tests); the paths in
                      config.json and in the service point into DIR
  -h, --help          show this help

A machine that is already enrolled keeps its identity: no token is needed to upgrade it.
EOF
}

say() {
  printf '%s\n' "$*"
}

die() {
  printf 'optralis install: %s\n' "$*" >&2
  exit 1
}

# Before anything changed, by definition: finish() then has nothing to put back.
usage_error() {
  USAGE_ERROR=1
  printf 'optralis install: %s (see --help)\n' "$*" >&2
  exit 2
}

# Never echoes a value: a mistyped option may be followed by a token.
option_value() {
  [ "$2" -ge 2 ] || usage_error "$1 needs a value"
}

parse_args() {
  TOKEN=${OPTRALIS_TOKEN:-}
  TOKEN_FILE=''
  NO_SERVICE=''
  REENROLL=''
  ROOT=''
  # A personalized installer's channel was chosen when it was made; only --channel on the
  # command line moves a machine that is already enrolled (CHANNEL_OPTION).
  CHANNEL_GIVEN=''
  CHANNEL_OPTION=''
  if [ "$INSTALLER_MODE" != generic ]; then CHANNEL_GIVEN=1; fi
  while [ $# -gt 0 ]; do
    case $1 in
      --token) option_value "$1" $#; TOKEN=$2; shift 2 ;;
      --token=*) TOKEN=${1#*=}; shift ;;
      --token-file) option_value "$1" $#; TOKEN_FILE=$2; shift 2 ;;
      --token-file=*) TOKEN_FILE=${1#*=}; shift ;;
      --url) option_value "$1" $#; SERVER_URL=$2; shift 2 ;;
      --url=*) SERVER_URL=${1#*=}; shift ;;
      --channel) option_value "$1" $#; CHANNEL=$2; CHANNEL_GIVEN=1; CHANNEL_OPTION=1; shift 2 ;;
      --channel=*) CHANNEL=${1#*=}; CHANNEL_GIVEN=1; CHANNEL_OPTION=1; shift ;;
      --root) option_value "$1" $#; ROOT=$2; shift 2 ;;
      --root=*) ROOT=${1#*=}; shift ;;
      --no-service) NO_SERVICE=1; shift ;;
      --reenroll) REENROLL=1; shift ;;
      -h | --help) usage; exit 0 ;;
      -*) usage_error "unknown option ${1%%=*}" ;;
      *) usage_error 'unexpected argument (options start with --)' ;;
    esac
  done
}

check_options() {
  SERVER_URL=${SERVER_URL%/}
  [ -n "$SERVER_URL" ] || usage_error 'give the Optralis server with --url'
  printf '%s' "$SERVER_URL" | grep -Eq '^https?://[][A-Za-z0-9._:-]+(/[A-Za-z0-9._~/-]*)?$' ||
    usage_error "--url must be an http:// or https:// address: $SERVER_URL"
  case $CHANNEL in
    stable | beta) ;;
    *) usage_error "--channel must be stable or beta, not $CHANNEL" ;;
  esac
  if [ -n "$ROOT" ]; then
    printf '%s' "$ROOT" | grep -Eq '^/[A-Za-z0-9._/-]*$' ||
      usage_error '--root must be an absolute path of letters, digits and . _ - /'
    ROOT=${ROOT%/}
  fi
  if [ -n "$TOKEN_FILE" ]; then
    [ -r "$TOKEN_FILE" ] || usage_error "cannot read the token file $TOKEN_FILE"
    TOKEN=$(tr -d ' \t\r\n' <"$TOKEN_FILE")
    [ -n "$TOKEN" ] || usage_error "the token file $TOKEN_FILE is empty"
  fi
  if [ -n "$TOKEN" ]; then
    case $TOKEN in
      *[!A-Za-z0-9._~+/=-]*) usage_error 'the install token holds characters no token has' ;;
    esac
    [ "${#TOKEN}" -le 256 ] || usage_error 'the install token is longer than any token'
  fi
  return 0
}

# Without --channel, a machine that is already installed stays on its channel.
default_channel() {
  local flat channel
  if [ -n "$CHANNEL_GIVEN" ] || [ ! -r "$CONFIG_DIR/config.json" ]; then return 0; fi
  flat=$(tr -d '\r\n' <"$CONFIG_DIR/config.json")
  channel=$(json_field "$flat" channel)
  case $channel in
    stable | beta) CHANNEL=$channel ;;
  esac
}

set_paths() {
  BIN_DIR="$ROOT/usr/local/bin"
  BIN="$BIN_DIR/optralis-agent"
  CONFIG_DIR="$ROOT/etc/optralis-agent"
  LOG_DIR="$ROOT/var/log/optralis-agent"
  UNIT_NAME='optralis-agent.service'
  UNIT_FILE="$ROOT/etc/systemd/system/$UNIT_NAME"
}

# Re-runs the script with bash when another shell was asked to run it.
require_bash() {
  if [ -n "${BASH_VERSION:-}" ]; then return 0; fi
  if [ -f "$0" ] && command -v bash >/dev/null 2>&1; then exec bash "$0" "$@"; fi
  printf 'optralis install: this installer needs bash: pipe it into bash, or run: sudo bash %s\n' \
    "$0" >&2
  exit 1
}

require_root() {
  [ "$(id -u)" = 0 ] || die 'run the installer as root (with sudo)'
}

detect_arch() {
  local machine bits
  machine=$(uname -m)
  case $machine in
    x86_64 | amd64) ARCH=amd64 ;;
    aarch64 | arm64) ARCH=arm64 ;;
    *) die "this machine is $machine; the Optralis agent runs on amd64 (x86_64) and arm64 (aarch64) only" ;;
  esac
  bits=$(userland_bits)
  if [ "$bits" = 32 ]; then
    die "the kernel is 64-bit ($machine) but the programs are ${bits}-bit; the Optralis agent needs a 64-bit system"
  fi
  if [ -n "$INSTALLER_ARCH" ] && [ "$INSTALLER_ARCH" != "$ARCH" ]; then
    die "this installer is for $INSTALLER_ARCH machines and this one is $ARCH ($machine): download the $ARCH installer"
  fi
}

# The word size of the programs (a 64-bit kernel may run a 32-bit userland): getconf where
# there is one, else the ELF class of the shell running this script.
userland_bits() {
  local bits class
  if bits=$(getconf LONG_BIT 2>/dev/null) && [ -n "$bits" ]; then
    printf '%s' "$bits"
    return
  fi
  class=$(od -An -tu1 -j4 -N1 "${BASH:-/bin/sh}" 2>/dev/null | tr -d ' \n')
  case $class in
    1) printf 32 ;;
    2) printf 64 ;;
    *) printf unknown ;;
  esac
}

# The agent is linked against the GNU C library and its C++ runtime (readelf -d: libc.so.6,
# libm, libdl, libpthread, libstdc++.so.6, libgcc_s.so.1). A musl-only system (Alpine Linux)
# runs it with the gcompat layer plus those two C++ libraries, which gcompat does not bring.
check_c_library() {
  local loader
  case $ARCH in
    amd64) loader=ld-linux-x86-64.so.2 ;;
    arm64) loader=ld-linux-aarch64.so.1 ;;
  esac
  if [ -e "/lib64/$loader" ] || [ -e "/lib/$loader" ] || [ -e "/usr/lib64/$loader" ]; then
    return 0
  fi
  die "the agent needs the GNU C library ($loader), which this system does not have. A musl-only system such as Alpine Linux runs it with the glibc compatibility layer and the C++ runtime (libstdc++.so.6, libgcc_s.so.1): on Alpine, apk add gcompat libstdc++ libgcc, then run the installer again"
}

# The one place that talks to systemd. OPTRALIS_SYSTEMCTL names a program with systemctl's
# interface to use instead: the test suite's stand-in, since systemd cannot run there.
service_manager() {
  "${OPTRALIS_SYSTEMCTL:-systemctl}" "$@"
}

# systemd's own test (sd_booted(3)): it makes /run/systemd/system when it boots as process 1.
# This machine's /run even with --root: the service is linked into this machine's systemd.
systemd_running() {
  if [ -n "${OPTRALIS_SYSTEMCTL:-}" ]; then return 0; fi
  [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

check_service_manager() {
  if [ -n "$NO_SERVICE" ] || systemd_running; then return 0; fi
  local init
  init=$(cat /proc/1/comm 2>/dev/null || printf unknown)
  die "systemd is not running on this machine (process 1 is $init), and the agent is installed as a systemd service. Run again with --no-service to install it without a service, then start '$BIN run' with your own service manager"
}

check_tools() {
  local missing='' tool
  for tool in id uname cat cut wc sha256sum mktemp tr sed grep od cp mv rm rmdir mkdir chmod chown; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
  done
  if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
    missing="$missing curl"
  fi
  if [ "$INSTALLER_MODE" != generic ] && ! command -v base64 >/dev/null 2>&1; then
    missing="$missing base64"
  fi
  [ -z "$missing" ] || die "install these programs first:$missing"
}

# Downloads $1 to $2. curl asks for the precompressed build when it can inflate it.
fetch() {
  local url=$1 out=$2
  if command -v curl >/dev/null 2>&1; then
    local options='-fsSL --retry 3 --proto =http,https'
    if curl -V 2>/dev/null | grep -qi 'libz'; then options="$options --compressed"; fi
    if [ "${3:-}" = progress ] && [ -t 2 ]; then options="$options --progress-bar"; fi
    # shellcheck disable=SC2086 # the options are words of our own
    curl $options -o "$out" "$url"
  else
    wget -q -O "$out" "$url"
  fi
}

make_work_dir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/optralis-install.XXXXXX")
}

# Creates a directory and its missing parents, remembering which ones were new, so that a
# failed install can take them away again.
make_dir() {
  local dir=$1 mode=$2 missing='' parent
  parent=$dir
  while [ -n "$parent" ] && [ ! -d "$parent" ]; do
    missing="$missing $parent"
    parent=${parent%/*}
  done
  mkdir -p "$dir"
  chmod "$mode" "$dir"
  # Deepest first, newest first: the order in which they can be removed.
  CREATED_DIRS="$missing $CREATED_DIRS"
}

# Writes the base64 text $1 decoded to $2 and checks it against the SHA-256 $3, so that a
# base64 program that decodes differently can never install a damaged certificate.
decode_embedded() {
  local text=$1 out=$2 sha=$3 got
  printf '%s' "$text" | base64 -d >"$out" 2>/dev/null || die "a certificate embedded in this installer cannot be decoded; download the installer again"
  got=$(sha256sum "$out" | cut -d ' ' -f 1)
  [ "$got" = "$sha" ] || die "a certificate embedded in this installer is damaged (SHA-256 mismatch); download the installer again"
}

decode_settings() {
  if [ -n "$EMBEDDED_TOKEN" ] && [ -z "$TOKEN" ]; then
    TOKEN=$(printf '%s' "$EMBEDDED_TOKEN" | base64 -d 2>/dev/null) || die 'the token embedded in this installer cannot be decoded; download the installer again'
  fi
  if [ -n "$EMBEDDED_CA" ]; then
    decode_embedded "$EMBEDDED_CA" "$WORK/ca.crt" "$EMBEDDED_CA_SHA256"
  fi
  if [ "$INSTALLER_MODE" = certificate ]; then
    decode_embedded "$EMBEDDED_CERTIFICATE" "$WORK/client.crt" "$EMBEDDED_CERTIFICATE_SHA256"
    decode_embedded "$EMBEDDED_KEY" "$WORK/client.key" "$EMBEDDED_KEY_SHA256"
    decode_embedded "$EMBEDDED_RELEASE_KEY" "$WORK/release-key.json" "$EMBEDDED_RELEASE_KEY_SHA256"
  fi
}

# The value of "$2" in the one-line JSON text $1: a string without quotes or commas, or a
# number; nothing for null. Every value read this way is checked against its pattern after.
json_field() {
  printf '%s' "$1" |
    sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\)\"\{0,1\}[[:space:]]*[,}].*/\1/p" |
    sed 's/^null$//'
}

read_metadata() {
  local url="$SERVER_URL/downloads/$CHANNEL/metadata-linux.json" flat entry
  say "Reading the $CHANNEL release from $url"
  fetch "$url" "$WORK/metadata-linux.json" || die "cannot download $url"
  flat=$(tr -d '\r\n' <"$WORK/metadata-linux.json")
  RELEASE_VERSION=$(json_field "$flat" version)
  entry=$(printf '%s' "$flat" | sed -n "s/.*\"$ARCH\"[[:space:]]*:[[:space:]]*{\([^}]*\)}.*/\1/p")
  [ -n "$entry" ] || die "the $CHANNEL channel of $SERVER_URL has no build for linux/$ARCH yet"
  BUILD_FILE=$(json_field "{$entry}" filename)
  BUILD_SHA256=$(json_field "{$entry}" checksum_sha256)
  BUILD_SIZE=$(json_field "{$entry}" file_size_bytes)
  printf '%s' "$BUILD_FILE" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9._+-]*$' ||
    die "metadata-linux.json names no usable file for linux/$ARCH"
  printf '%s' "$BUILD_SHA256" | grep -Eq '^[0-9a-f]{64}$' ||
    die "metadata-linux.json has no SHA-256 for linux/$ARCH"
  printf '%s' "$BUILD_SIZE" | grep -Eq '^[0-9]+$' || BUILD_SIZE=''
}

download_agent() {
  local url="$SERVER_URL/downloads/$CHANNEL/$BUILD_FILE" sum size
  make_dir "$BIN_DIR" 755
  # Beside its final place: same file system for the rename, and never a noexec /tmp.
  STAGED=$(mktemp "$BIN_DIR/.optralis-agent.install.XXXXXX")
  if [ -n "$BUILD_SIZE" ]; then
    say "Downloading optralis-agent $RELEASE_VERSION for linux/$ARCH ($((BUILD_SIZE / 1048576)) MB)"
  else
    say "Downloading optralis-agent $RELEASE_VERSION for linux/$ARCH"
  fi
  fetch "$url" "$STAGED" progress || die "cannot download $url"
  size=$(wc -c <"$STAGED" | tr -d ' ')
  if [ -n "$BUILD_SIZE" ] && [ "$size" != "$BUILD_SIZE" ]; then
    die "the download has $size bytes instead of $BUILD_SIZE; try again"
  fi
  sum=$(sha256sum "$STAGED" | cut -d ' ' -f 1)
  [ "$sum" = "$BUILD_SHA256" ] ||
    die "the download's SHA-256 is $sum, not the published $BUILD_SHA256"
  chmod 755 "$STAGED"
  NEW_VERSION=$("$STAGED" version 2>&1 </dev/null) ||
    die "the downloaded agent does not run on this machine: $NEW_VERSION"
  say "Checksum verified: $NEW_VERSION"
}

# Copies what the install is about to change, so that a failure can put it back.
back_up() {
  local item=$1 name=$2
  if [ -e "$item" ] || [ -L "$item" ]; then
    cp -a "$item" "$WORK/backup.$name"
  else
    : >"$WORK/absent.$name"
  fi
}

restore() {
  local item=$1 name=$2
  if [ -e "$WORK/absent.$name" ]; then
    rm -rf "$item"
  elif [ -e "$WORK/backup.$name" ] || [ -L "$WORK/backup.$name" ]; then
    rm -rf "$item"
    cp -a "$WORK/backup.$name" "$item"
  fi
}

record_service_state() {
  WAS_ENABLED=''
  WAS_ACTIVE=''
  if [ -n "$NO_SERVICE" ] || ! systemd_running; then return 0; fi
  if service_manager is-enabled --quiet "$UNIT_NAME" >/dev/null 2>&1; then WAS_ENABLED=1; fi
  if service_manager is-active --quiet "$UNIT_NAME" >/dev/null 2>&1; then WAS_ACTIVE=1; fi
  return 0
}

back_up_all() {
  record_service_state
  back_up "$BIN" binary
  back_up "$BIN.previous" previous
  back_up "$CONFIG_DIR" config
  back_up "$UNIT_FILE" unit
}

# The identity already in the config directory, when the agent can use it as it is and it
# belongs to this server: then the machine keeps it and no token is spent.
existing_identity() {
  local found url
  if [ -n "$REENROLL" ] || [ ! -e "$CONFIG_DIR/config.json" ]; then return 1; fi
  if ! found=$("$STAGED" enrollment --config-dir "$CONFIG_DIR" --json 2>&1 </dev/null); then
    say "The identity in $CONFIG_DIR cannot be used (${found#optralis-agent: }); enrolling again"
    return 1
  fi
  url=$(json_field "$found" public_url)
  if [ -n "$url" ] && [ "${url%/}" != "$SERVER_URL" ]; then
    say "This machine is enrolled with $url; enrolling it with $SERVER_URL"
    return 1
  fi
  ENROLLED_MACHINE=$(json_field "$found" machine_id)
  KEPT_CHANNEL=$(json_field "$found" channel)
  return 0
}

enroll_machine() {
  ENROLLED_MACHINE=''
  KEPT_CHANNEL=''
  if existing_identity; then
    IDENTITY_KEPT=1
    say "This machine keeps its identity: machine $ENROLLED_MACHINE (no token was spent)"
    if [ -n "$TOKEN" ]; then
      say "The install token was not used: the machine's identity works. To enroll it again with the token (a new certificate, same machine), run the installer again with --reenroll"
    fi
    return 0
  fi
  IDENTITY_KEPT=''
  if [ "$INSTALLER_MODE" = certificate ]; then
    write_identity
    return 0
  fi
  [ -n "$TOKEN" ] ||
    die 'this machine is not enrolled yet: give an install token with --token-file FILE or --token TOKEN'
  say "Enrolling this machine with $SERVER_URL (the key is made here and never leaves it)"
  ARMED=1
  make_dir "$CONFIG_DIR" 700
  # The token goes through a pipe from a shell builtin: it is in no program's arguments. With
  # the CA this installer carries, the server must say it trusts that CA before the token is
  # spent, and its answer must name it before anything is written.
  if ! printf '%s\n' "$TOKEN" | "$STAGED" enroll --url "$SERVER_URL" --token-file - \
    --config-dir "$CONFIG_DIR" ${CHANNEL_GIVEN:+--channel "$CHANNEL"} \
    ${EMBEDDED_CA:+--ca-file "$WORK/ca.crt"} --json >"$WORK/enrolled.json"; then
    die 'the enrollment was refused (the reason is above)'
  fi
  ENROLLED_MACHINE=$(json_field "$(cat "$WORK/enrolled.json")" machine_id)
  say "Enrolled as machine $ENROLLED_MACHINE"
}

# Certificate mode: the identity the installer carries (made on the server for one machine).
write_identity() {
  say "Installing the certificate of machine $MACHINE_ID carried by this installer"
  ARMED=1
  make_dir "$CONFIG_DIR" 700
  cp "$WORK/client.key" "$CONFIG_DIR/client.key"
  chmod 600 "$CONFIG_DIR/client.key"
  cp "$WORK/client.crt" "$CONFIG_DIR/client.crt"
  cp "$WORK/ca.crt" "$CONFIG_DIR/ca.crt"
  cp "$WORK/release-key.json" "$CONFIG_DIR/release-key.json"
  chmod 644 "$CONFIG_DIR/client.crt" "$CONFIG_DIR/ca.crt" "$CONFIG_DIR/release-key.json"
  cat >"$CONFIG_DIR/config.json.new" <<EOF
{
  "api_url": "$AGENT_API_URL",
  "interval": 10,
  "mtls_enabled": true,
  "mtls_cert_path": "$CONFIG_DIR/client.crt",
  "mtls_key_path": "$CONFIG_DIR/client.key",
  "ca_cert_path": "$CONFIG_DIR/ca.crt",
  "public_url": "$SERVER_URL",
  "channel": "$CHANNEL",
  "client_id": "$CLIENT_ID",
  "machine_id": "$MACHINE_ID"
}
EOF
  chmod 600 "$CONFIG_DIR/config.json.new"
  mv -f "$CONFIG_DIR/config.json.new" "$CONFIG_DIR/config.json"
  local found
  found=$("$STAGED" enrollment --config-dir "$CONFIG_DIR" 2>&1 </dev/null) ||
    die "the certificate carried by this installer cannot be used: ${found#optralis-agent: }"
  ENROLLED_MACHINE=$MACHINE_ID
}

install_files() {
  ARMED=1
  # An update the agent left half done must not put its previous binary back over this one.
  rm -f "$CONFIG_DIR/update-pending.json" "$BIN.previous" "$BIN_DIR/.optralis-agent.update"
  mv -f "$STAGED" "$BIN"
  STAGED=''
  if command -v restorecon >/dev/null 2>&1; then restorecon -F "$BIN" >/dev/null 2>&1 || true; fi
  chown -R 0:0 "$CONFIG_DIR" "$BIN"
  chmod 700 "$CONFIG_DIR"
  chmod 600 "$CONFIG_DIR/client.key" "$CONFIG_DIR/config.json"
  make_dir "$LOG_DIR" 750
}

unit_text() {
  cat <<EOF
[Unit]
Description=Optralis monitoring agent
Documentation=$SERVER_URL
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=$BIN run --config-dir $CONFIG_DIR --log-dir $LOG_DIR
# Any failure restarts the agent, including status 75, with which a self-update hands over to
# the new binary. The update watchdog runs in a transient unit of its own (systemd-run).
Restart=on-failure
# Status 78 is the agent's "configuration unusable": restarting cannot mend it.
RestartPreventExitStatus=78
RestartSec=5
TimeoutStopSec=30
UMask=0077
# The agent updates its own binary and writes only its configuration and logs.
ProtectSystem=strict
ReadWritePaths=-$BIN_DIR -$CONFIG_DIR -$LOG_DIR
ProtectHome=read-only
PrivateTmp=yes
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
# No MemoryDenyWriteExecute: the JavaScript engine compiles code at run time.

[Install]
WantedBy=multi-user.target
EOF
}

install_service() {
  if [ -n "$NO_SERVICE" ]; then return 0; fi
  make_dir "${UNIT_FILE%/*}" 755
  unit_text >"$UNIT_FILE.new"
  chmod 644 "$UNIT_FILE.new"
  mv -f "$UNIT_FILE.new" "$UNIT_FILE"
  # Outside /, systemd is told where the unit is.
  local out
  if [ -n "$ROOT" ]; then
    out=$(service_manager link "$UNIT_FILE" 2>&1) || die "systemctl link failed: $out"
  fi
  service_manager daemon-reload
  out=$(service_manager enable "$UNIT_NAME" 2>&1) || die "systemctl enable failed: $out"
  service_manager restart "$UNIT_NAME"
  say "Started $UNIT_NAME"
}

# The service must still be running a few seconds after its start: an agent that cannot use
# its configuration exits, and systemd is then waiting to restart it.
service_stays_up() {
  local check
  for check in 1 2 3 4; do
    sleep 1
    if [ "$check" -ge 2 ] && ! service_manager is-active --quiet "$UNIT_NAME"; then return 1; fi
  done
  return 0
}

verify_install() {
  local printed
  printed=$("$BIN" version 2>&1 </dev/null) ||
    die "the installed agent does not run: ${printed:-no output}"
  INSTALLED_VERSION=$printed
  if [ -z "$NO_SERVICE" ] && ! service_stays_up; then
    die "$UNIT_NAME does not stay up (see: journalctl -u $UNIT_NAME)"
  fi
}

restore_service() {
  if [ -n "$NO_SERVICE" ] || ! systemd_running; then return 0; fi
  service_manager stop "$UNIT_NAME" >/dev/null 2>&1
  if [ -e "$WORK/absent.unit" ]; then
    service_manager disable "$UNIT_NAME" >/dev/null 2>&1
  fi
  service_manager daemon-reload >/dev/null 2>&1
  if [ -n "$WAS_ENABLED" ]; then service_manager enable "$UNIT_NAME" >/dev/null 2>&1; fi
  if [ -n "$WAS_ACTIVE" ]; then service_manager start "$UNIT_NAME" >/dev/null 2>&1; fi
}

# Puts back everything the install changed; directories it made are taken away.
roll_back() {
  local dir
  restore "$UNIT_FILE" unit
  restore "$BIN" binary
  restore "$BIN.previous" previous
  restore "$CONFIG_DIR" config
  restore_service
}

# A kept identity moves to the channel --channel named: the server first (over the machine's
# mutual TLS), then config.json. Last, so that a refusal still leaves everything to put back.
move_channel() {
  local out
  if [ -z "$IDENTITY_KEPT" ] || [ -z "$CHANNEL_OPTION" ] || [ "$KEPT_CHANNEL" = "$CHANNEL" ]; then
    return 0
  fi
  out=$("$BIN" channel "$CHANNEL" --config-dir "$CONFIG_DIR" 2>&1 </dev/null) ||
    die "the server did not move machine $ENROLLED_MACHINE to the $CHANNEL channel: ${out#optralis-agent: }"
  say "Moved machine $ENROLLED_MACHINE from the ${KEPT_CHANNEL:-stable} channel to $CHANNEL"
}

# On any exit: the staged download goes; after a failure, whatever the install changed is put
# back and the directories it made are removed. A usage error changed nothing: it says so.
finish() {
  local status=$? dir
  set +eu
  trap - EXIT
  if [ -n "$STAGED" ]; then rm -f "$STAGED"; fi
  if [ "$status" != 0 ] && [ -z "$USAGE_ERROR" ]; then
    if [ -n "$ARMED" ]; then
      roll_back
      printf 'optralis install: everything the installer changed was put back\n' >&2
    else
      printf 'optralis install: nothing was changed on this machine\n' >&2
    fi
    for dir in $CREATED_DIRS; do rmdir "$dir" 2>/dev/null; done
  fi
  if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
  exit "$status"
}

report() {
  say ''
  say "The Optralis agent is installed: $INSTALLED_VERSION, channel $CHANNEL"
  if [ -n "$IDENTITY_KEPT" ]; then
    say "  machine        $ENROLLED_MACHINE (identity kept)"
  else
    say "  machine        $ENROLLED_MACHINE"
  fi
  say "  program        $BIN"
  say "  configuration  $CONFIG_DIR/config.json"
  say "  logs           $LOG_DIR/"
  if [ -n "$NO_SERVICE" ]; then
    say "  service        none (--no-service): start '$BIN run --config-dir $CONFIG_DIR --log-dir $LOG_DIR' yourself"
  else
    say "  service        $UNIT_NAME, enabled and running (journalctl -u $UNIT_NAME)"
  fi
  if [ -n "$ROOT" ]; then
    say "To remove it: curl -fsSL $SERVER_URL/uninstall.sh | sudo bash -s -- --root $ROOT"
  else
    say "To remove it: curl -fsSL $SERVER_URL/uninstall.sh | sudo bash"
  fi
}

main() {
  require_bash "$@"
  set -euo pipefail
  umask 022
  WORK='' STAGED='' ARMED='' CREATED_DIRS='' USAGE_ERROR=''
  trap finish EXIT
  installer_settings
  parse_args "$@"
  check_options
  set_paths
  default_channel
  require_root
  detect_arch
  check_c_library
  check_service_manager
  check_tools
  say "Optralis agent installer: linux/$ARCH, channel $CHANNEL, server $SERVER_URL"
  make_work_dir
  decode_settings
  read_metadata
  download_agent
  back_up_all
  enroll_machine
  install_files
  install_service
  verify_install
  move_channel
  ARMED=''
  report
}

main "$@"
exit
}
