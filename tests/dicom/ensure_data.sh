#!/bin/sh
# The real CT cases for the DICOM tests: LUNG1-002, LUNG1-003 and onkodicom-RT02 in $CAIRN_DATA (default
# ~/.cache/cairn-data), unpacked from ../shared/data when missing, and the bundled demo study (demo/, LIDC-IDRI-0001)
# unpacked into DEMO_DIR. Exits 1, naming what is missing, when a case can be neither found nor unpacked: the tests
# that need the data then fail rather than pass without it.
# usage: ensure_data.sh DEMO_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
demo_dir=${1:?usage: ensure_data.sh DEMO_DIR}
data=${CAIRN_DATA:-$HOME/.cache/cairn-data}
archives=$(cd "$repo/.." && pwd)/shared/data
for case in LUNG1-002 LUNG1-003 onkodicom-RT02; do
  if [ -f "$data/$case/rtstruct.dcm" ] && [ -d "$data/$case/ct" ]; then
    continue
  fi
  if [ ! -f "$archives/$case.tar.xz" ]; then
    echo "ensure_data: $data/$case is missing and $archives/$case.tar.xz is not there to unpack it" >&2
    echo "ensure_data: set CAIRN_DATA to a folder holding the unpacked cases (see ../shared/data/README.md)" >&2
    exit 1
  fi
  if [ -e "$data/$case" ]; then
    echo "ensure_data: $data/$case is incomplete (no ct/ or rtstruct.dcm); remove it to unpack it again" >&2
    exit 1
  fi
  "$archives/unpack.sh" "$data" "$case"
done
if [ ! -d "$demo_dir/LIDC-IDRI-0001/ct" ]; then
  mkdir -p "$demo_dir"
  xz -dc "$repo/demo/LIDC-IDRI-0001.tar.xz" | tar -x -C "$demo_dir"
fi
echo "ensure_data: cases in $data, demo study in $demo_dir"
