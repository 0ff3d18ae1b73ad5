#!/usr/bin/python3
"""The demo series with one slice missing, as a new study, for the viewer's end-to-end test: every file of SRC_DIR
but the middle one along the slice normal, with new Study, Series and SOP Instance UIDs (so that nothing the page
cached for the whole series applies). Prints the removed slice's position along the normal, in mm.
Usage: make_gapped_series.py SRC_DIR OUT_DIR"""
import os
import sys

import numpy as np
import pydicom
from pydicom.uid import generate_uid

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
slices = [pydicom.dcmread(os.path.join(src, name)) for name in sorted(os.listdir(src))]
orientation = np.array(slices[0].ImageOrientationPatient, dtype=float)
normal = np.cross(orientation[:3], orientation[3:])
slices.sort(key=lambda ds: float(np.dot(normal, np.array(ds.ImagePositionPatient, dtype=float))))
removed = slices.pop(len(slices) // 2)
study, series = generate_uid(), generate_uid()
for ds in slices:
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SeriesDescription = "demo series, one slice removed"
    ds.save_as(os.path.join(out, f"{ds.SOPInstanceUID}.dcm"), write_like_original=True)
print(f"{float(np.dot(normal, np.array(removed.ImagePositionPatient, dtype=float))):.3f}")
