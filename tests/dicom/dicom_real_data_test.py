#!/usr/bin/python3
"""cairn_dicom on the real CT cases, against independent readers.

Usage: dicom_real_data_test.py DICOM_TOOL DEMO_DIR

For LUNG1-002, LUNG1-003, onkodicom-RT02 (in $CAIRN_DATA, default ~/.cache/cairn-data) and the demo study
LIDC-IDRI-0001 (explicit VR, in DEMO_DIR):
- the HU volume and slice order equal training/dicom_io.py's (pydicom) exactly;
- the rasterized left/right lungs equal dicom_io.load_lung_case's exactly;
- the DICOM SEG written from those lungs: dciodvfy reports no error, dcmdump reads it without error, pydicom reads it
  and the label volume rebuilt from its frames (placed by their source image UIDs and plane positions) is identical.
Prints "N passed, N failed"; exits 1 on any failure (missing data included).
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pydicom

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "training"))
import dicom_io  # noqa: E402

TOOL = os.path.abspath(sys.argv[1])
DEMO = os.path.abspath(sys.argv[2])
DATA = dicom_io.default_data_root()
CASES = ["LUNG1-002", "LUNG1-003", "onkodicom-RT02"]
passed = failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}" + (f"\n    {detail}" if detail else ""), flush=True)
    return condition


def run(*args):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, errors="replace")
    return p.returncode, p.stdout, p.stderr


def labels_from_seg(path, volume):
    """The uint8 label volume of a SEG written by dicom_tool (segment 'Right lung' -> 1, 'Left lung' -> 2), frames
    placed by their source SOP instance UID, which must agree with their plane position."""
    ds = pydicom.dcmread(path)
    values = {"Right lung": 1, "Left lung": 2}
    segment_value = {int(s.SegmentNumber): values[str(s.SegmentLabel)] for s in ds.SegmentSequence}
    frames = ds.pixel_array.reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    index_of = {uid: k for k, uid in enumerate(volume.sop_uids)}
    out = np.zeros(volume.hu.shape, dtype=np.uint8)
    position_errors = 0
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        uid = str(item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
        k = index_of[uid]
        position = np.array(item.PlanePositionSequence[0].ImagePositionPatient, dtype=np.float64)
        if np.abs(position - volume.positions[k]).max() > 1e-3:
            position_errors += 1
        value = segment_value[int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)]
        out[k][frames[f] != 0] = value
    return ds, out, position_errors


def check_case(name, ct_dir, rtstruct, work):
    reference = dicom_io.read_ct_series(ct_dir)
    hu_path = os.path.join(work, f"{name}-hu.npy")
    rc, out, err = run(TOOL, "series", ct_dir, hu_path)
    if not check(f"{name}: series read", rc == 0, err):
        return
    uids = re.findall(r"^uid (\S+)$", out, re.M)
    check(f"{name}: slice order along the normal", uids == reference.sop_uids)
    hu = np.load(hu_path)
    check(f"{name}: HU volume identical to pydicom's", hu.shape == reference.hu.shape and np.array_equal(hu, reference.hu),
          f"shape {hu.shape} vs {reference.hu.shape}")
    os.remove(hu_path)
    if rtstruct is None:
        # Unlabelled: a SEG of a synthetic label volume (threshold in the body's air-filled parts).
        labels = np.zeros(reference.hu.shape, dtype=np.uint8)
        labels[:, 100:200, 100:250][reference.hu[:, 100:200, 100:250] < -500] = 1
        labels[:, 100:200, 260:400][reference.hu[:, 100:200, 260:400] < -500] = 2
        labels[len(labels) // 2] = 0  # an empty slice: no frame for it
        labels_path = os.path.join(work, f"{name}-labels.npy")
        np.save(labels_path, labels)
    else:
        case = dicom_io.load_lung_case(os.path.dirname(ct_dir))
        labels_path = os.path.join(work, f"{name}-labels.npy")
        rc, out, err = run(TOOL, "lungs", ct_dir, rtstruct, labels_path)
        if not check(f"{name}: lungs rasterized", rc == 0, err):
            return
        labels = np.load(labels_path)
        check(f"{name}: right lung identical to dicom_io's", np.array_equal(labels == 1, case.right),
              f"{np.count_nonzero((labels == 1) != case.right)} voxels differ")
        check(f"{name}: left lung identical to dicom_io's", np.array_equal(labels == 2, case.left & ~case.right),
              f"{np.count_nonzero((labels == 2) != case.left)} voxels differ")
    seg = os.path.join(work, f"{name}-seg.dcm")
    rc, out, err = run(TOOL, "seg", ct_dir, labels_path, seg)
    if not check(f"{name}: SEG written", rc == 0, err):
        return
    rc, out, err = run("dciodvfy", seg)
    errors = [line for line in (out + err).splitlines() if line.startswith("Error")]
    check(f"{name}: dciodvfy reports no error", not errors, "\n    ".join(errors[:20]))
    rc, out, err = run("dcmdump", "-q", seg)
    check(f"{name}: dcmdump reads the SEG", rc == 0 and "E:" not in err, err[:500])
    ds, rebuilt, position_errors = labels_from_seg(seg, reference)
    check(f"{name}: SEG frames at their source slices' positions", position_errors == 0, f"{position_errors} frames")
    check(f"{name}: SEG mask identical after the round trip", np.array_equal(rebuilt, labels),
          f"{np.count_nonzero(rebuilt != labels)} voxels differ")
    nonempty = sum(int(np.any(labels[k] == v)) for v in (1, 2) for k in range(len(labels)))
    check(f"{name}: one frame per non-empty (segment, slice)", int(ds.NumberOfFrames) == nonempty,
          f"{ds.NumberOfFrames} frames, {nonempty} non-empty")
    check(f"{name}: SEG references the source series",
          ds.ReferencedSeriesSequence[0].SeriesInstanceUID == pydicom.dcmread(
              os.path.join(ct_dir, os.listdir(ct_dir)[0]), stop_before_pixels=True).SeriesInstanceUID)
    codes = {str(s.SegmentLabel): (s.SegmentedPropertyTypeCodeSequence[0].CodeValue,
                                   s.SegmentedPropertyTypeCodeSequence[0].CodingSchemeDesignator,
                                   s.SegmentedPropertyCategoryCodeSequence[0].CodeValue,
                                   s.SegmentAlgorithmType) for s in ds.SegmentSequence}
    check(f"{name}: SNOMED CT codes", codes == {"Right lung": ("3341006", "SCT", "91723000", "AUTOMATIC"),
                                                "Left lung": ("44029006", "SCT", "91723000", "AUTOMATIC")}, str(codes))
    os.remove(seg)


def main():
    for case in CASES:
        folder = os.path.join(DATA, case)
        if not check(f"{case}: data present in {DATA} (see tests/dicom/ensure_data.sh)",
                     os.path.isdir(os.path.join(folder, "ct")) and os.path.isfile(os.path.join(folder, "rtstruct.dcm"))):
            continue
    demo = os.path.join(DEMO, "LIDC-IDRI-0001", "ct")
    check(f"LIDC-IDRI-0001: demo study present in {DEMO}", os.path.isdir(demo))
    with tempfile.TemporaryDirectory() as work:
        for case in CASES:
            folder = os.path.join(DATA, case)
            if os.path.isdir(folder):
                check_case(case, os.path.join(folder, "ct"), os.path.join(folder, "rtstruct.dcm"), work)
        if os.path.isdir(demo):
            check_case("LIDC-IDRI-0001", demo, None, work)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
