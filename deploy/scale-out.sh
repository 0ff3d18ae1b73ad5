#!/usr/bin/env bash
# Exercises the scale-out recipe of deploy/scale-out/: a throwaway PostgreSQL cluster (initdb in a temporary
# folder, pg_ctl on a free loopback port, password authentication), two Orthanc processes sharing it through
# Debian's orthanc-postgresql ("Lock": false, DatabaseServerIdentifier cairn-a and cairn-b), each with the DICOMweb
# and Cairn plugins, configured by deploy/scale-out/orthanc-a.json and orthanc-b.json unchanged. The demo study
# (60 CT slices) is uploaded through Orthanc A only; Orthanc B must then show it through DICOMweb (the study, its
# series, the 60 instances, their metadata and every frame, byte for byte), serve /cairn/ with the viewer's headers,
# and take a STOW-RS that A then sees. Both processes and PostgreSQL are stopped and the folder removed at the end.
# Runs as a normal user; started as root, PostgreSQL (which refuses root) runs as the postgres or nobody user.
#
# usage: deploy/scale-out.sh [--plugin libCairnPlugin.so]      (CAIRN_KEEP_TMP=1 keeps the folder)
set -euo pipefail
script_name=scale-out
source "$(dirname "$0")/lib/common.sh"

parse_plugin_option "$@"

pg_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -x $pg_bin/initdb ]] || die "PostgreSQL's server is missing (Debian package postgresql): run scripts/install-deps.sh"
need "$pg_bin/pg_ctl" postgresql
need "$pg_bin/createdb" postgresql-client
need "$pg_bin/psql" postgresql-client
need curl curl
need "$orthanc_bin" orthanc
need "$python" python3
for library in libOrthancPostgreSQLIndex.so libOrthancPostgreSQLStorage.so; do
  [[ -f /usr/share/orthanc/plugins/$library ]] ||
    die "/usr/share/orthanc/plugins/$library is missing (Debian package orthanc-postgresql):" \
      "run scripts/install-deps.sh"
done
dicomweb=$(dicomweb_plugin)
[[ $dicomweb == /usr/share/orthanc/plugins/libOrthancDicomWeb.so ]] ||
  die "the configurations name /usr/share/orthanc/plugins/libOrthancDicomWeb.so, but the DICOMweb plugin is $dicomweb"
plugin=$(cairn_plugin)

make_work_dir scale-out

# PostgreSQL refuses to run as root: then it runs as postgres (Debian's package creates it) or nobody.
as_db_user=()
if ((EUID == 0)); then
  db_user=postgres
  id postgres >/dev/null 2>&1 || db_user=nobody
  as_db_user=(runuser -u "$db_user" --)
fi
pg_dir=$work_dir/postgresql
mkdir -p "$pg_dir"
pg_password="pg-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$pg_password" >"$pg_dir/password"
chmod 600 "$pg_dir/password"
[[ -z ${db_user:-} ]] || chown -R "$db_user" "$pg_dir"
pg_port=$(free_port)
cd "$pg_dir"  # the database user may not be allowed into the current folder
"${as_db_user[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U cairn --pwfile="$pg_dir/password" --auth=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 >"$work_dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$work_dir/initdb.log")"
"${as_db_user[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir -c max_connections=50" \
  start >"$work_dir/pg_ctl.log" 2>&1 || die "PostgreSQL did not start: $(tail -n 5 "$pg_dir/server.log")"
cleanup_steps+=("${as_db_user[*]} $pg_bin/pg_ctl -D $pg_dir/data -m fast -w stop")
export PGPASSWORD=$pg_password
"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U cairn orthanc || die "createdb failed"
say "PostgreSQL $("$pg_bin/postgres" --version | awk '{ print $3 }') on 127.0.0.1:$pg_port, database orthanc"
cd "$cairn_root"

# The environment deploy/scale-out/orthanc-{a,b}.json read; the viewer is a copy (a rebuild changes nothing here).
cp -r "$(viewer_root)" "$work_dir/viewer"
user=cairn password="scale-out-$RANDOM$RANDOM"
common_env=(CAIRN_REMOTE_ACCESS=false CAIRN_USER="$user" CAIRN_PASSWORD="$password" CAIRN_NODE_DIR="$work_dir/nodes"
  CAIRN_PLUGIN="$plugin" CAIRN_PG_HOST=127.0.0.1 CAIRN_PG_PORT="$pg_port" CAIRN_PG_DATABASE=orthanc
  CAIRN_PG_USER=cairn CAIRN_PG_PASSWORD="$pg_password" CAIRN_VIEWER_ROOT="$work_dir/viewer"
  CAIRN_MODELS_ROOT="$cairn_root/models")
port_a=$(free_port)
port_b=$(free_port)
start_orthanc orthanc-a "$cairn_root/deploy/scale-out/orthanc-a.json" "${common_env[@]}" CAIRN_HTTP_PORT="$port_a" \
  CAIRN_DICOM_PORT="$(free_port)"
pid_a=$orthanc_pid
wait_http "http://127.0.0.1:$port_a/system" "$pid_a" "$work_dir/orthanc-a.log" -u "$user:$password"
# B starts once A has created the schema (the plugin takes an advisory lock for that; this keeps the logs simple).
start_orthanc orthanc-b "$cairn_root/deploy/scale-out/orthanc-b.json" "${common_env[@]}" CAIRN_HTTP_PORT="$port_b" \
  CAIRN_DICOM_PORT="$(free_port)"
pid_b=$orthanc_pid
wait_http "http://127.0.0.1:$port_b/system" "$pid_b" "$work_dir/orthanc-b.log" -u "$user:$password"
say "Orthanc A on 127.0.0.1:$port_a and Orthanc B on 127.0.0.1:$port_b share the database"

study_dir=$(unpack_demo_study "$work_dir/study")
study=$(upload_study "http://127.0.0.1:$port_a" "$study_dir" -u "$user:$password")
say "uploaded the demo study through Orthanc A only: $study"

status=0
"$python" "$cairn_root/deploy/lib/check_scale_out.py" --a "http://127.0.0.1:$port_a" \
  --b "http://127.0.0.1:$port_b" --user "$user" --password "$password" --study "$study" --study-dir "$study_dir" ||
  status=1

# Each process saves its jobs under its own DatabaseServerIdentifier when it stops.
for pid in "$pid_a" "$pid_b"; do
  kill -0 "$pid" 2>/dev/null || die "an Orthanc process stopped during the checks (logs in $work_dir)"
  kill -TERM "$pid"
  wait "$pid" || die "an Orthanc process failed to stop cleanly (logs in $work_dir)"
done
server_ids=$("$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U cairn -d orthanc -At \
  -c "SELECT string_agg(DISTINCT server, ' ' ORDER BY server) FROM serverproperties") || die "psql failed"
if [[ $server_ids == "cairn-a cairn-b" ]]; then
  echo "ok   - once stopped, each process has its properties under its own DatabaseServerIdentifier ($server_ids)"
else
  echo "FAIL - the server properties are under \"$server_ids\", not \"cairn-a cairn-b\""
  status=1
fi
((status == 0)) || die "some checks failed (above)"
say "all checks passed"
