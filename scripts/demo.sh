#!/usr/bin/env bash
# make demo, after the build:
#  1. the engine: the shipped lung model (models/lung-unet, the paper's U-Net trained on real CT) run by the cairn
#     CLI on the bundled sample study: info, segment (lung volumes, a DICOM SEG), bench (skip with CAIRN_DEMO_ENGINE=0);
#  2. the PACS: Debian's Orthanc 1.10 with its DICOMweb plugin and the Cairn plugin, a project-local configuration
#     and storage under build/demo/, the bundled sample study (LIDC-IDRI-0001, 60 central slices, CC BY 3.0: see
#     demo/ATTRIBUTION) uploaded through the REST API, and the viewer's URL. Orthanc runs until Ctrl-C.
# A second run reuses the storage; the upload is idempotent (Orthanc answers "AlreadyStored").
# Environment: CAIRN_DEMO_PORT (HTTP port, 8642), CAIRN_DEMO_WAIT=0 (stop once the URLs are printed: a smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build/release}
python=${CAIRN_PYTHON:-/usr/bin/python3}
port=${CAIRN_DEMO_PORT:-8642}

# The bundled study, unpacked once into build/demo/study (used by the CLI step and uploaded to Orthanc).
demo_dir="$root/build/demo"
study_dir="$demo_dir/study/LIDC-IDRI-0001/ct"
if [[ ! -d $study_dir ]] || (($(find "$study_dir" -name '*.dcm' | wc -l) != 60)); then
  echo "demo: unpacking demo/LIDC-IDRI-0001.tar.xz into build/demo/study"
  rm -rf "$demo_dir/study"
  mkdir -p "$demo_dir/study"
  tar -xJf demo/LIDC-IDRI-0001.tar.xz -C "$demo_dir/study"
fi

engine_demo() {
  local cairn="$build/tools/cli/cairn" model=models/lung-unet/model.onnx seg="$demo_dir/lung-unet-seg.dcm"
  echo
  echo "== cairn info: the shipped lung model and the processing its metadata describes"
  "$cairn" info "$model"
  echo
  echo "== cairn segment: every slice of the sample study, lung volumes, a DICOM SEG"
  "$cairn" segment "$model" "$study_dir" --out "$seg"
  echo
  echo "== cairn bench: latency, throughput and peak memory of one slice (5 runs)"
  "$cairn" bench "$model" --runs 5
  echo
  echo "demo: wrote $seg (open it in any DICOM viewer, or with 'Save to PACS' from the viewer)"
}

if [[ ${CAIRN_DEMO_ENGINE:-1} != 0 ]]; then
  engine_demo
fi

echo
echo "== Orthanc with the DICOMweb and Cairn plugins, the sample study, the viewer"
die() { echo "demo: error: $*" >&2; exit 1; }

command -v Orthanc >/dev/null || [[ -x /usr/sbin/Orthanc ]] || die "Orthanc is not installed: run scripts/install-deps.sh"
orthanc_bin=$(command -v Orthanc || echo /usr/sbin/Orthanc)
dicomweb=
for candidate in /usr/share/orthanc/plugins/libOrthancDicomWeb.so /usr/lib/orthanc/libOrthancDicomWeb.so*; do
  if [[ -f $candidate ]]; then dicomweb=$candidate; break; fi
done
[[ -n $dicomweb ]] || die "the DICOMweb plugin (Debian's orthanc-dicomweb) is missing: run scripts/install-deps.sh"
cairn_plugin="$root/$build/plugin/libCairnPlugin.so"
[[ -f $cairn_plugin ]] || die "$cairn_plugin is missing: build with 'make build' (needs Debian's orthanc-dev)"

# The viewer's build when it exists, the plugin's placeholder page until then.
viewer_root="$root/web/dist/viewer"
[[ -f $viewer_root/index.html ]] || viewer_root="$root/plugin/placeholder"
models_root="$root/models"

mkdir -p "$demo_dir/storage"
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
  die "something already answers on port $port (another demo?): stop it or set CAIRN_DEMO_PORT"
fi

# Orthanc has no bind address: it listens on every interface, so remote access stays off (loopback only) and the
# DICOM server is off (the demo receives its study through the REST API).
config="$demo_dir/orthanc.json"
cat > "$config" <<EOF
{
  "Name": "Cairn demo",
  "StorageDirectory": "$demo_dir/storage",
  "IndexDirectory": "$demo_dir/storage",
  "HttpPort": $port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "DicomServerEnabled": false,
  "DicomPort": 4342,
  "Plugins": ["$dicomweb", "$cairn_plugin"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" },
  "Cairn": {
    "Enabled": true,
    "ViewerRoot": "$viewer_root",
    "ModelsRoot": "$models_root",
    "ConnectSrc": []
  }
}
EOF

log="$demo_dir/orthanc.log"
orthanc_pid=
stop_orthanc() {
  trap - EXIT INT TERM
  if [[ -n $orthanc_pid ]] && kill -0 "$orthanc_pid" 2>/dev/null; then
    echo
    echo "demo: stopping Orthanc"
    kill -TERM "$orthanc_pid" 2>/dev/null || true
    wait "$orthanc_pid" 2>/dev/null || true
    echo "demo: stopped (the study stays in build/demo/storage for the next run)"
  fi
}
trap stop_orthanc EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$orthanc_bin" "$config" >"$log" 2>&1 &
orthanc_pid=$!
for ((i = 0; i < 600; i++)); do
  if ! kill -0 "$orthanc_pid" 2>/dev/null; then
    tail -n 20 "$log" >&2
    die "Orthanc stopped while starting (log above, whole log in $log)"
  fi
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/system" && break
  sleep 0.1
done
curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/system" || die "Orthanc did not answer within 60 s (see $log)"
grep -o 'Cairn: .*' "$log" | sed 's/^/orthanc: /' || true

uploaded=0 known=0 parent_study=
for f in "$study_dir"/*.dcm; do
  answer=$(curl -s --fail -X POST -H 'Content-Type: application/dicom' --data-binary "@$f" \
    "http://127.0.0.1:$port/instances") || die "upload of $f failed"
  case $answer in
    *'"Success"'*) uploaded=$((uploaded + 1)) ;;
    *'"AlreadyStored"'*) known=$((known + 1)) ;;
    *) die "unexpected answer to the upload of $f: $answer" ;;
  esac
  [[ -n $parent_study ]] || parent_study=$("$python" -c 'import json,sys; print(json.load(sys.stdin)["ParentStudy"])' <<<"$answer")
done
echo "demo: sample study uploaded through /instances: $uploaded new, $known already stored"
study_uid=$(curl -s "http://127.0.0.1:$port/studies/$parent_study" |
  "$python" -c 'import json,sys; print(json.load(sys.stdin)["MainDicomTags"]["StudyInstanceUID"])')

base="http://127.0.0.1:$port"
echo
echo "Cairn demo: Orthanc $(curl -s "$base/system" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["Version"])')" \
  "with the DICOMweb and Cairn plugins, on this machine only (127.0.0.1:$port)"
echo "  viewer:           $base/cairn/?study=$study_uid"
echo "  Orthanc Explorer: $base/app/explorer.html  (study page: \"Open in Cairn\")"
echo "  DICOMweb:         $base/dicom-web/studies"
if [[ $viewer_root == */plugin/placeholder ]]; then
  echo "  (the viewer is not built yet: /cairn/ shows the plugin's placeholder page)"
fi
echo "  config $config; storage build/demo/storage; log $log"

if [[ ${CAIRN_DEMO_WAIT:-1} == 0 ]]; then
  exit 0
fi
echo "Press Ctrl-C to stop."
wait "$orthanc_pid"
