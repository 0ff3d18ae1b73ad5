# shellcheck shell=bash
# Sourced by deploy/*.sh: what they share. Orthanc 1.10 from Debian with its DICOMweb plugin and the Cairn plugin,
# in a temporary folder on a free loopback port; the demo study unpacked and uploaded through the REST API; every
# process started here stopped and every file removed on exit, whatever happens.
#
# The sourcing script sets `script_name` first and may append cleanup steps to `cleanup_steps` (commands run in
# reverse order before the temporary folder goes).

: "${script_name:=deploy}"
cairn_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python=${CAIRN_PYTHON:-/usr/bin/python3}
orthanc_bin=/usr/sbin/Orthanc
started_pids=()
cleanup_steps=()
work_dir=

die() {
  echo "$script_name: error: $*" >&2
  exit 1
}

say() { echo "$script_name: $*"; }

# The options of the scripts that take only --plugin (and --help, which prints the script's header comment).
parse_plugin_option() {
  while (($#)); do
    case $1 in
      --plugin) CAIRN_PLUGIN=$2; shift 2 ;;
      -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown option $1 (see --help)" ;;
    esac
  done
}

# need COMMAND PACKAGE: a missing tool is a failure, never a skip.
need() {
  command -v "$1" >/dev/null 2>&1 || [[ -x $1 ]] || die "$1 is missing (Debian package $2): run scripts/install-deps.sh"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local i pid
  # Processes first (an Orthanc outlives neither its database nor its folder), then the extra steps.
  for pid in "${started_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${started_pids[@]}"; do
    for ((i = 0; i < 150; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ((i = ${#cleanup_steps[@]} - 1; i >= 0; i--)); do
    eval "${cleanup_steps[i]}" >/dev/null 2>&1 || true
  done
  if [[ -n $work_dir && -d $work_dir ]]; then
    if [[ ${CAIRN_KEEP_TMP:-0} == 1 ]]; then
      say "kept $work_dir (CAIRN_KEEP_TMP=1)"
    else
      rm -rf "$work_dir"
    fi
  fi
  exit "$status"
}

# Creates the temporary folder and installs the cleanup. World-traversable, so that a service dropped to another
# user (PostgreSQL, nginx workers when started as root) can reach its own subfolder.
make_work_dir() {
  work_dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-$1-XXXXXX")
  chmod 755 "$work_dir"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# A self-signed certificate for 127.0.0.1 (and localhost) in $work_dir/tls.key and tls.crt, which the checks trust
# as their only CA.
make_test_certificate() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$work_dir/tls.key" -out "$work_dir/tls.crt" 2>"$work_dir/openssl.log" ||
    die "openssl could not make a certificate: $(cat "$work_dir/openssl.log")"
}

# write_nginx_test_conf DIR MAIN CONNECTIONS ACCESS_LOG: nginx's main configuration for a run from DIR (logs/, tmp/
# for the buffers' files, nginx.conf including the rendered DIR/conf/cairn.conf), with MAIN as the main context's
# directives (worker_processes ...), CONNECTIONS per worker and ACCESS_LOG as access_log's value.
write_nginx_test_conf() {
  local dir=$1 main=$2 connections=$3 access_log=$4 user_line=
  mkdir -p "$dir"/{logs,tmp}
  # Started as root, nginx's workers become nobody: they must be able to write the buffers' temporary files.
  if ((EUID == 0)); then
    user_line="user nobody nogroup;"
    chown -R nobody:nogroup "$dir/tmp"
  fi
  cat >"$dir/nginx.conf" <<EOF
$user_line
$main
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections $connections; }
http {
  access_log $access_log;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  include $dir/conf/cairn.conf;
}
EOF
}

# start_nginx DIR WHAT: `nginx -t` on DIR/nginx.conf (stops with the error log's end, naming WHAT, if it refuses),
# then nginx in the background: nginx_pid, also added to started_pids. Needs nginx_bin.
start_nginx() {
  local dir=$1 what=$2
  "$nginx_bin" -t -q -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" ||
    die "nginx -t refuses $what: $(tail -n 5 "$dir/logs/error.log")"
  "$nginx_bin" -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" &
  nginx_pid=$!
  started_pids+=("$nginx_pid")
}

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

dicomweb_plugin() {
  local candidate
  for candidate in /usr/share/orthanc/plugins/libOrthancDicomWeb.so /usr/lib/orthanc/libOrthancDicomWeb.so*; do
    if [[ -f $candidate ]]; then
      echo "$candidate"
      return
    fi
  done
  die "the DICOMweb plugin is missing (Debian package orthanc-dicomweb): run scripts/install-deps.sh"
}

# The Cairn plugin: $CAIRN_PLUGIN, else the release build's.
cairn_plugin() {
  local plugin=${CAIRN_PLUGIN:-$cairn_root/build/release/plugin/libCairnPlugin.so}
  [[ -f $plugin ]] || die "$plugin is missing: build it (make build) or pass --plugin"
  realpath "$plugin"
}

# The viewer's build when it exists, the plugin's placeholder page until then (as scripts/demo.sh does).
viewer_root() {
  if [[ -f $cairn_root/web/dist/viewer/index.html ]]; then
    echo "$cairn_root/web/dist/viewer"
  else
    echo "$cairn_root/plugin/placeholder"
  fi
}

# start_orthanc NAME CONFIG [ENV=VALUE...]: Orthanc in the background, its log in $work_dir/NAME.log; sets
# orthanc_pid.
start_orthanc() {
  local name=$1 config=$2
  shift 2
  env "$@" "$orthanc_bin" "$config" >"$work_dir/$name.log" 2>&1 &
  orthanc_pid=$!
  started_pids+=("$orthanc_pid")
}

# wait_http URL PID LOG [CURL_ARGS...]: until URL answers 200, or die with the end of LOG if PID stops.
wait_http() {
  local url=$1 pid=$2 log=$3 i
  shift 3
  for ((i = 0; i < 600; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log" >&2
      die "the process behind $url stopped while starting (log above)"
    fi
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url") == 200 ]]; then
      return
    fi
    sleep 0.1
  done
  tail -n 30 "$log" >&2
  die "$url did not answer within 60 s (log above)"
}

# unpack_demo_study DEST: the 60 CT slices of demo/LIDC-IDRI-0001.tar.xz under DEST; prints their folder.
unpack_demo_study() {
  local dest=$1
  mkdir -p "$dest"
  tar -xJf "$cairn_root/demo/LIDC-IDRI-0001.tar.xz" -C "$dest"
  local dir="$dest/LIDC-IDRI-0001/ct"
  local count
  count=$(find "$dir" -name '*.dcm' | wc -l)
  ((count == 60)) || die "expected 60 slices in demo/LIDC-IDRI-0001.tar.xz, found $count"
  echo "$dir"
}

# upload_study BASE_URL DIR [CURL_ARGS...]: POSTs every .dcm of DIR to /instances; prints the StudyInstanceUID.
upload_study() {
  local base=$1 dir=$2 f answer parent=
  shift 2
  for f in "$dir"/*.dcm; do
    answer=$(curl -s --fail --max-time 60 "$@" -X POST -H 'Content-Type: application/dicom' --data-binary "@$f" \
      "$base/instances") || die "upload of $f to $base failed"
    case $answer in
      *'"Success"'* | *'"AlreadyStored"'*) ;;
      *) die "unexpected answer to the upload of $f: $answer" ;;
    esac
    [[ -n $parent ]] || parent=$(json_get 'd["ParentStudy"]' <<<"$answer")
  done
  curl -s --fail "$@" "$base/studies/$parent" |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["MainDicomTags"]["StudyInstanceUID"])'
}

# check_instance_intact BASE_URL FILE [CURL_ARGS...]: the instance of FILE (named SOPInstanceUID.dcm, as in the demo
# archive) is stored and Orthanc gives back the very same bytes.
check_instance_intact() {
  local base=$1 file=$2 uid id
  shift 2
  uid=$(basename "$file" .dcm)
  id=$(curl -s --fail "$@" -X POST --data "$uid" "$base/tools/lookup" | json_get 'd[0]["ID"]') ||
    die "$base does not know the instance $uid"
  cmp -s "$file" <(curl -s --fail "$@" "$base/instances/$id/file") ||
    die "$base gives back other bytes than $file for the instance $uid"
}

# settle PID: waits (up to 2 minutes) until PID uses less than 5% of a core over half a second, so that the work a
# load run left queued does not count against the next one.
settle() {
  local pid=$1 i before after
  for ((i = 0; i < 240; i++)); do
    before=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || return 0
    sleep 0.5
    after=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || return 0
    # Clock ticks are 1/100 s: 2 ticks in 0.5 s is 4% of a core.
    ((after - before <= 2)) && return 0
  done
}

# json_get EXPRESSION: evaluates a Python expression on the JSON read from stdin, bound to `d`.
json_get() {
  "$python" -c "import json, sys; d = json.load(sys.stdin); print($1)"
}
