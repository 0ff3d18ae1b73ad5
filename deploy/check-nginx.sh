#!/usr/bin/env bash
# Checks deploy/nginx/ for real: renders the template with a self-signed certificate into a temporary folder,
# `nginx -t`, then starts nginx (as the current user, temporary prefix, free high ports on 127.0.0.1) in front of
# Debian's Orthanc 1.10 with the DICOMweb and Cairn plugins, HTTP authentication on and 5 slices of the demo study,
# and checks over HTTPS (deploy/lib/check_nginx.py): TLS and HTTP/2, the redirect from plain HTTP, COOP, COEP, CORP and
# the CSP on /cairn/ (the same as the plugin's), MIME types (wasm, mjs), gzip on DICOM JSON and nothing compressed by
# Orthanc, /dicom-web/servers refused for every method and spelling, the rest of Orthanc's API unreachable,
# credentials passed through (401 without, 200 with), STOW-RS through nginx, refused sizes (URL, headers, body).
# Twice: with /cairn/ from the plugin (CAIRN_VIEWER=plugin), then from disk (CAIRN_VIEWER=disk). Then bearer tokens
# (deploy/lib/check_auth.py, with deploy/lib/token_service.py): passed through unchanged to a PACS that checks them,
# and checked by nginx itself (rendered with CAIRN_AUTH_REQUEST) in front of a second Orthanc without authentication.
# Everything started is stopped and the folder removed at the end.
#
# usage: deploy/check-nginx.sh [--plugin libCairnPlugin.so]      (CAIRN_KEEP_TMP=1 keeps the folder)
set -euo pipefail
script_name=check-nginx
source "$(dirname "$0")/lib/common.sh"

parse_plugin_option "$@"

# /usr/sbin is not on a normal user's PATH on Debian.
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
need "$nginx_bin" nginx
need openssl openssl
need curl curl
need "$orthanc_bin" orthanc
need "$python" python3
dicomweb=$(dicomweb_plugin)
plugin=$(cairn_plugin)

make_work_dir check-nginx
user=cairn password="nginx-check-$RANDOM$RANDOM"
connect_src="https://pacs.example.org"

# The viewer as it is now: a copy, so that a rebuild of web/dist during the check changes nothing.
cp -r "$(viewer_root)" "$work_dir/viewer"
viewer=$work_dir/viewer

make_test_certificate

orthanc_port=$(free_port)
cat >"$work_dir/orthanc.json" <<EOF
{
  "Name": "cairn-check-nginx",
  "StorageDirectory": "$work_dir/storage",
  "IndexDirectory": "$work_dir/storage",
  "HttpPort": $orthanc_port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true,
  "RegisteredUsers": { "$user": "$password" },
  "DicomServerEnabled": false,
  "SaveJobs": false,
  "Plugins": ["$dicomweb", "$plugin"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" },
  "Cairn": { "ViewerRoot": "$viewer", "ModelsRoot": "$cairn_root/models", "ConnectSrc": ["$connect_src"] }
}
EOF
start_orthanc orthanc "$work_dir/orthanc.json"
wait_http "http://127.0.0.1:$orthanc_port/system" "$orthanc_pid" "$work_dir/orthanc.log" -u "$user:$password"
study_dir=$(unpack_demo_study "$work_dir/study")
mkdir -p "$work_dir/five"
# sed, not head: head exits after 5 lines and sort, still writing, would die of SIGPIPE (a failure under pipefail)
find "$study_dir" -name '*.dcm' | sort | sed -n 1,5p | xargs cp -t "$work_dir/five"
study=$(upload_study "http://127.0.0.1:$orthanc_port" "$work_dir/five" -u "$user:$password")
stow_file=$(find "$study_dir" -name '*.dcm' | sort | sed -n 6p)

https_port=$(free_port)
http_port=$(free_port)
nginx_dir=$work_dir/nginx
write_nginx_test_conf "$nginx_dir" "worker_processes 1;" 512 "$nginx_dir/logs/access.log"

nginx_pid=
# run_nginx MODE PACS [CURL_ARGS...]: renders the template (CAIRN_VIEWER=MODE, CAIRN_PACS=PACS, CAIRN_AUTH_REQUEST as
# set by the caller), `nginx -t`, starts nginx and waits until the models' catalog answers with CURL_ARGS.
run_nginx() {
  local mode=$1 pacs=$2
  shift 2
  rm -rf "$nginx_dir/conf"
  CAIRN_VIEWER=$mode CAIRN_SERVER_NAME=127.0.0.1 CAIRN_PUBLIC_HOST="127.0.0.1:$https_port" \
    CAIRN_LISTEN="127.0.0.1:$https_port" CAIRN_HTTP_LISTEN="127.0.0.1:$http_port" \
    CAIRN_TLS_CERT="$work_dir/tls.crt" CAIRN_TLS_KEY="$work_dir/tls.key" CAIRN_PACS="$pacs" \
    CAIRN_VIEWER_ROOT="$viewer" CAIRN_MODELS_ROOT="$cairn_root/models" CAIRN_CONNECT_SRC="$connect_src" \
    "$cairn_root/deploy/nginx/render.sh" "$nginx_dir/conf" >/dev/null
  start_nginx "$nginx_dir" "the rendered template ($mode)"
  say "nginx -t accepts the template rendered with CAIRN_VIEWER=$mode${CAIRN_AUTH_REQUEST:+ and CAIRN_AUTH_REQUEST}"
  wait_http "https://127.0.0.1:$https_port/cairn/models/catalog.json" "$nginx_pid" "$nginx_dir/logs/error.log" \
    --cacert "$work_dir/tls.crt" "$@"
}

stop_nginx() {
  kill -TERM "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
}

status=0
for mode in plugin disk; do
  run_nginx "$mode" "127.0.0.1:$orthanc_port" -u "$user:$password"
  "$python" "$cairn_root/deploy/lib/check_nginx.py" --mode "$mode" --https "https://127.0.0.1:$https_port" \
    --http "http://127.0.0.1:$http_port" --orthanc "http://127.0.0.1:$orthanc_port" --ca "$work_dir/tls.crt" \
    --user "$user" --password "$password" --study "$study" --stow-file "$stow_file" --viewer-root "$viewer" \
    --models-root "$cairn_root/models" --connect-src "$connect_src" || status=1
  stop_nginx
done

# Bearer tokens: deploy/lib/token_service.py as a PACS that checks them (the Authorization header must reach it
# unchanged), then as nginx's auth_request service in front of an Orthanc without authentication of its own.
token_port=$(free_port)
token="cairn-check-$RANDOM$RANDOM.$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
printf '%s\n' "$token" >"$work_dir/token"
"$python" "$cairn_root/deploy/lib/token_service.py" "$token_port" "$work_dir/token" "$work_dir/token-service.log" \
  >"$work_dir/token-service.out" 2>&1 &
token_pid=$!
started_pids+=("$token_pid")
wait_http "http://127.0.0.1:$token_port/dicom-web/" "$token_pid" "$work_dir/token-service.out" \
  -H "Authorization: Bearer $token"
: >"$work_dir/token-service.log"

run_nginx disk "127.0.0.1:$token_port"
"$python" "$cairn_root/deploy/lib/check_auth.py" --mode bearer --https "https://127.0.0.1:$https_port" \
  --ca "$work_dir/tls.crt" --token-file "$work_dir/token" --service-log "$work_dir/token-service.log" || status=1
stop_nginx

open_port=$(free_port)
sed -e "s#\"HttpPort\": $orthanc_port#\"HttpPort\": $open_port#" -e 's#"AuthenticationEnabled": true#"AuthenticationEnabled": false#' \
  -e "s#$work_dir/storage#$work_dir/storage-open#g" -e 's#"cairn-check-nginx"#"cairn-check-nginx-open"#' \
  "$work_dir/orthanc.json" >"$work_dir/orthanc-open.json"
orthanc_auth_pid=$orthanc_pid
start_orthanc orthanc-open "$work_dir/orthanc-open.json"
wait_http "http://127.0.0.1:$open_port/system" "$orthanc_pid" "$work_dir/orthanc-open.log"
[[ $(upload_study "http://127.0.0.1:$open_port" "$work_dir/five") == "$study" ]] ||
  die "the open Orthanc lists another study than $study"
: >"$work_dir/token-service.log"
CAIRN_AUTH_REQUEST="http://127.0.0.1:$token_port/check" run_nginx plugin "127.0.0.1:$open_port" \
  -H "Authorization: Bearer $token"
"$python" "$cairn_root/deploy/lib/check_auth.py" --mode auth-request --https "https://127.0.0.1:$https_port" \
  --ca "$work_dir/tls.crt" --token-file "$work_dir/token" --service-log "$work_dir/token-service.log" \
  --study "$study" || status=1
stop_nginx

kill -0 "$orthanc_auth_pid" 2>/dev/null || die "Orthanc stopped during the checks (see $work_dir/orthanc.log)"
kill -0 "$orthanc_pid" 2>/dev/null || die "the second Orthanc stopped during the checks (see $work_dir/orthanc-open.log)"
((status == 0)) || die "some checks failed (above)"
say "all checks passed"
