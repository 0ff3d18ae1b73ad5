#!/usr/bin/env bash
# Load on the Cairn plugin and DICOMweb: Debian's Orthanc 1.10 with the DICOMweb and Cairn plugins in a temporary
# folder on a free loopback port, the demo study (60 CT slices) uploaded, then wrk (Debian) on each scenario with
# many concurrent keep-alive connections, as browsers would ask:
#   index     /cairn/ (index.html)
#   assets    every file of the viewer's assets/ folder but source maps (JS, CSS, WebAssembly), in turn
#   catalog   /cairn/models/catalog.json
#   qido      the viewer's QIDO-RS requests, in turn: the study list, the study, the study's series
#   frames    WADO-RS frames of the 60 instances, uncompressed (the viewer's Accept header), in turn
#   rendered  WADO-RS 96x96 JPEG thumbnails of the 60 instances (the viewer's series thumbnails), in turn
#   metadata  WADO-RS series metadata (application/dicom+json: Orthanc reads and parses the 60 files each time)
#   model     the model file the catalog names first (15.5 MB for the lung U-Net)
# Between two runs it waits for Orthanc to go idle, so that what a run left queued does not weigh on the next.
# Prints one line per scenario and connection count (requests/s, MB/s, latency percentiles, answers outside 2xx/3xx,
# socket errors). wrk counts only answered requests, so a fairness run follows (deploy/lib/fairness.py): as many
# keep-alive connections asking /cairn/ without pause, and how many of them were never answered (each connection
# holds one of Orthanc's HttpThreadsCount threads while it stays busy). Then it checks that Orthanc still runs and
# still holds the 60 instances. Exits 1 on any error: an answer outside 2xx/3xx, a connect, read or write error, a
# request that waited longer than --timeout, or a connection never answered.
# --nginx puts nginx in front, as deploy/check-nginx.sh does (deploy/nginx/ rendered with CAIRN_VIEWER=plugin, a
# self-signed certificate, nginx started as the current user on a free port): the same runs go over HTTPS through
# it (HTTP/1.1 with TLS: wrk does not speak HTTP/2), and nginx's error log must hold no error afterwards but
# Orthanc's keep-alive closes, which nginx answers by sending the request again (counted and printed).
#
# usage: deploy/load-test.sh [--plugin libCairnPlugin.so] [--duration 30] [--connections "100 400"]
#          [--heavy-connections "100 400"] [--threads 2] [--timeout 60] [--http-threads 50] [--keep-alive true]
#          [--request-timeout 30] [--compression true|false] [--accept-encoding "gzip, deflate, br"]
#          [--scenarios "index assets ..."] [--quick] [--nginx]
# --http-threads, --keep-alive, --request-timeout and --compression are Orthanc's HttpThreadsCount, KeepAlive,
# HttpRequestTimeout and HttpCompressionEnabled (Orthanc's defaults: 50, true, 30, true); --timeout is wrk's;
# --accept-encoding is what the clients send (browsers always send "gzip, deflate, br"; "" sends none).
# --heavy-connections is for metadata and model (the same as --connections unless given). --quick: 5 s per
# scenario, 50 connections, 10 for metadata and model (what make test runs). The recommended Orthanc settings are
# --compression false --http-threads 500 (docs/deployment.md). CAIRN_KEEP_TMP=1 keeps the temporary folder
# (configuration, logs, wrk outputs).
set -euo pipefail
script_name=load-test
source "$(dirname "$0")/lib/common.sh"

duration=30
connections="100 400"
heavy_connections=
wrk_threads=2
wrk_timeout=60
http_threads=50
keep_alive=true
request_timeout=30
compression=true
accept_encoding="gzip, deflate, br"
scenarios="index assets catalog qido frames rendered metadata model"
through_nginx=0
while (($#)); do
  case $1 in
    --plugin) CAIRN_PLUGIN=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --heavy-connections) heavy_connections=$2; shift 2 ;;
    --threads) wrk_threads=$2; shift 2 ;;
    --timeout) wrk_timeout=$2; shift 2 ;;
    --http-threads) http_threads=$2; shift 2 ;;
    --keep-alive) keep_alive=$2; shift 2 ;;
    --request-timeout) request_timeout=$2; shift 2 ;;
    --compression) compression=$2; shift 2 ;;
    --accept-encoding) accept_encoding=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --quick) duration=5; connections=50; heavy_connections=10; shift ;;
    --nginx) through_nginx=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
for flag in "$keep_alive" "$compression"; do
  [[ $flag == true || $flag == false ]] || die "--keep-alive and --compression take true or false"
done

need wrk wrk
need curl curl
need tar tar
need "$orthanc_bin" orthanc
need "$python" python3
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if ((through_nginx)); then
  need "$nginx_bin" nginx
  need openssl openssl
fi
dicomweb=$(dicomweb_plugin)
plugin=$(cairn_plugin)

make_work_dir load-test
# The viewer as it is now: a copy, so that a rebuild of web/dist during the run changes nothing.
cp -r "$(viewer_root)" "$work_dir/viewer"
viewer=$work_dir/viewer
port=$(free_port)
base="http://127.0.0.1:$port"
cat >"$work_dir/orthanc.json" <<EOF
{
  "Name": "cairn-load-test",
  "StorageDirectory": "$work_dir/storage",
  "IndexDirectory": "$work_dir/storage",
  "HttpPort": $port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "DicomServerEnabled": false,
  "SaveJobs": false,
  "HttpThreadsCount": $http_threads,
  "KeepAlive": $keep_alive,
  "HttpRequestTimeout": $request_timeout,
  "TcpNoDelay": true,
  "HttpCompressionEnabled": $compression,
  "Plugins": ["$dicomweb", "$plugin"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" },
  "Cairn": { "ViewerRoot": "$viewer", "ModelsRoot": "$cairn_root/models" }
}
EOF
start_orthanc orthanc "$work_dir/orthanc.json"
wait_http "$base/system" "$orthanc_pid" "$work_dir/orthanc.log"
study_dir=$(unpack_demo_study "$work_dir/study")
study=$(upload_study "$base" "$study_dir")
orthanc_base=$base

# nginx in front (--nginx): the load goes to it over HTTPS; Orthanc is still asked directly for the setup and checks.
client_curl=()
fairness_tls=()
if ((through_nginx)); then
  make_test_certificate
  https_port=$(free_port)
  nginx_dir=$work_dir/nginx
  # One worker per core; each holds the clients' connections and up to 16 idle ones to Orthanc (the template's
  # keepalive), plus those in use.
  write_nginx_test_conf "$nginx_dir" "worker_processes auto; worker_rlimit_nofile 8192;" 4096 off
  CAIRN_VIEWER=plugin CAIRN_SERVER_NAME=127.0.0.1 CAIRN_PUBLIC_HOST="127.0.0.1:$https_port" \
    CAIRN_LISTEN="127.0.0.1:$https_port" CAIRN_HTTP_LISTEN="127.0.0.1:$(free_port)" \
    CAIRN_TLS_CERT="$work_dir/tls.crt" CAIRN_TLS_KEY="$work_dir/tls.key" CAIRN_PACS="127.0.0.1:$port" \
    "$cairn_root/deploy/nginx/render.sh" "$nginx_dir/conf" >/dev/null
  start_nginx "$nginx_dir" "the rendered template"
  client_curl=(--cacert "$work_dir/tls.crt")
  fairness_tls=(--ca "$work_dir/tls.crt")
  base="https://127.0.0.1:$https_port"
  wait_http "$base/cairn/" "$nginx_pid" "$nginx_dir/logs/error.log" "${client_curl[@]}"
fi
say "Orthanc $(curl -s "$orthanc_base/system" | json_get 'd["Version"]') on 127.0.0.1:$port, study $study uploaded;" \
  "${nginx_pid:+load through nginx $("$nginx_bin" -v 2>&1 | sed 's/.*version: //') over HTTPS ($base);}" \
  "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores;" \
  "HttpThreadsCount $http_threads, KeepAlive $keep_alive, HttpRequestTimeout $request_timeout," \
  "HttpCompressionEnabled $compression;" \
  "clients send Accept-Encoding: ${accept_encoding:-(none)}"

# The paths of each scenario, one file each.
lists="$work_dir/paths"
mkdir -p "$lists"
echo "/cairn/" >"$lists/index"
find "$viewer" -path "$viewer/assets/*" -type f ! -name '*.map' -printf '/cairn/%P\n' | sort >"$lists/assets"
[[ -s $lists/assets ]] || find "$viewer" -maxdepth 1 -type f ! -name index.html -printf '/cairn/%P\n' >"$lists/assets"
echo "/cairn/models/catalog.json" >"$lists/catalog"
model_file=$(json_get 'd["models"][0]["file"]' <"$cairn_root/models/catalog.json")
echo "/cairn/models/$model_file" >"$lists/model"
series=$(curl -s --fail "$orthanc_base/dicom-web/studies/$study/series" | json_get 'd[0]["0020000E"]["Value"][0]')
study_list="/dicom-web/studies?limit=100&includefield=00081030&includefield=00080061"
printf '%s\n' "$study_list&includefield=00201206&includefield=00201208" \
  "/dicom-web/studies?StudyInstanceUID=$study&includefield=00081030" \
  "/dicom-web/studies/$study/series?includefield=0008103E" >"$lists/qido"
echo "/dicom-web/studies/$study/series/$series/metadata" >"$lists/metadata"
series_path="/dicom-web/studies/$study/series/$series"
curl -s --fail "$orthanc_base$series_path/instances" |
  json_get '"\n".join("'"$series_path/instances/"'" + i["00080018"]["Value"][0] for i in d)' >"$work_dir/instances"
sed 's#$#/frames/1#' "$work_dir/instances" >"$lists/frames"
sed 's#$#/rendered?viewport=96,96#' "$work_dir/instances" >"$lists/rendered"
frames_accept='multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1'
# What the viewer sends as Accept for each scenario.
accept_for() {
  case $1 in
    frames) echo "$frames_accept" ;;
    rendered) echo image/jpeg ;;
    qido | metadata) echo application/dicom+json ;;
    *) echo '*/*' ;;
  esac
}

# Every path answers 200 before the load starts (a 404 under load would only show as "non-2xx").
for scenario in $scenarios; do
  [[ -f $lists/$scenario ]] || die "unknown scenario $scenario"
  while read -r path; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "${client_curl[@]}" -H "Accept: $(accept_for "$scenario")" "$base$path")
    [[ $code == 200 ]] || die "$path answers $code before any load"
  done <"$lists/$scenario"
done

# parse_result "RESULT key=value ...": the values in the associative array r.
declare -A r
parse_result() {
  local word
  r=()
  for word in ${1#RESULT }; do
    r[${word%%=*}]=${word#*=}
  done
}

# Orthanc, and with --nginx its workers too (they may still be sending what a run asked for), idle.
settle_all() {
  local pid
  settle "$orthanc_pid"
  if ((through_nginx)); then
    for pid in $(pgrep -P "$nginx_pid"); do settle "$pid"; done
  fi
}

failures=0
printf '\n%-9s %5s %9s %8s %8s %8s %8s %8s %8s %7s %s\n' scenario conns "req/s" "MB/s" "mean ms" "p50 ms" "p90 ms" \
  "p99 ms" "max ms" non2xx "socket errors (connect/read/write/timeout)"
for scenario in $scenarios; do
  headers=(-H "Accept: $(accept_for "$scenario")")
  [[ -z $accept_encoding ]] || headers+=(-H "Accept-Encoding: $accept_encoding")
  counts=$connections
  [[ -z $heavy_connections || ! $scenario =~ ^(metadata|model)$ ]] || counts=$heavy_connections
  for conns in $counts; do
    out="$work_dir/wrk-$scenario-$conns.txt"
    settle_all
    nice -n 5 wrk -t "$wrk_threads" -c "$conns" -d "${duration}s" --timeout "${wrk_timeout}s" "${headers[@]}" \
      -s "$cairn_root/deploy/load-test.lua" "$base" -- "$lists/$scenario" >"$out" 2>&1 ||
      die "wrk failed on $scenario: $(tail -n 5 "$out")"
    line=$(grep '^RESULT ' "$out") || die "wrk printed no result for $scenario: $(tail -n 5 "$out")"
    parse_result "$line"
    socket_errors=$((r[connect] + r[read] + r[write] + r[timeout]))
    awk -v s="$scenario" -v c="$conns" -v n="${r[requests]}" -v d="${r[duration_s]}" -v b="${r[bytes]}" \
      -v mean="${r[mean_ms]}" -v p50="${r[p50_ms]}" -v p90="${r[p90_ms]}" -v p99="${r[p99_ms]}" -v mx="${r[max_ms]}" \
      -v st="${r[status]}" -v se="${r[connect]}/${r[read]}/${r[write]}/${r[timeout]}" 'BEGIN {
        printf "%-9s %5d %9.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %7d %s\n", s, c, n / d, b / d / 1048576, mean,
          p50, p90, p99, mx, st, se }'
    if ((r[status] > 0 || socket_errors > 0)); then
      failures=$((failures + 1))
    fi
  done
done
echo

# Fairness: every connection answered, not only the ones that got a thread first.
fairness_seconds=$((duration < 10 ? duration : 10))
for conns in $connections; do
  settle_all
  line=$("$python" "$cairn_root/deploy/lib/fairness.py" "${fairness_tls[@]}" "${https_port:-$port}" /cairn/ "$conns" \
    "$fairness_seconds" |
    grep '^RESULT ') || die "the fairness run printed no result"
  parse_result "$line"
  say "fairness, $conns keep-alive connections asking /cairn/ for ${fairness_seconds} s: ${r[never_answered]}" \
    "never answered; first answer after ${r[first_p50_ms]} ms (median), ${r[first_max_ms]} ms (max)"
  if ((r[never_answered] > 0)); then
    failures=$((failures + 1))
  fi
done
echo

# Nothing lost: Orthanc still answers and still holds every instance, unchanged.
kill -0 "$orthanc_pid" 2>/dev/null || die "Orthanc stopped during the load (see $work_dir/orthanc.log)"
count=$(curl -s --fail "$orthanc_base/statistics" | json_get 'd["CountInstances"]') || die "Orthanc no longer answers"
((count == 60)) || die "Orthanc holds $count instances after the load, not 60"
check_instance_intact "$orthanc_base" "$(find "$study_dir" -name '*.dcm' | sort | head -n 1)"
if ((through_nginx)); then
  kill -0 "$nginx_pid" 2>/dev/null || die "nginx stopped during the load (see $nginx_dir/logs/error.log)"
  # Orthanc 1.10 closes a keep-alive connection idle for 1 s; nginx logs the request it had just sent on it and
  # sends it again on another connection (the client sees nothing: wrk's counts above). Any other error fails.
  closed='upstream prematurely closed connection while reading response header from upstream'
  errors=$(grep '\[\(error\|crit\|alert\|emerg\)\]' "$nginx_dir/logs/error.log" || true)
  resent=$(grep -c "$closed" <<<"$errors" || true)
  others=$(grep -v "$closed" <<<"$errors" | grep -c . || true)
  say "nginx's error log: $resent upstream keep-alive connections closed by Orthanc (requests sent again), $others" \
    "other errors"
  if ((others > 0)); then
    grep -v "$closed" <<<"$errors" | head -n 5 >&2
    failures=$((failures + 1))
  fi
fi
peak=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$orthanc_pid/status" 2>/dev/null || echo "?")
say "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
say "after the load: Orthanc still answers and holds the 60 instances (one compared byte for byte);" \
  "its peak resident memory was $peak MiB"
if ((failures > 0)); then
  die "$failures run(s) had errors (answers outside 2xx/3xx, socket errors or connections never answered)"
fi
say "no errors"
