#!/usr/bin/python3
"""Two images the viewer must refuse, for its end-to-end test: a colour secondary capture (Modality OT) and an RGB
image that claims to be CT, in one study. Usage: make_non_ct.py OUTDIR"""
import datetime
import os
import sys

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
study = generate_uid()
for number, modality in ((1, "CT"), (2, "OT")):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Colour^Screenshot"
    ds.PatientID = "CAIRN-SC-1"
    ds.StudyDate = datetime.date.today().strftime("%Y%m%d")
    ds.Modality = modality
    ds.SeriesNumber = number
    ds.InstanceNumber = 1
    ds.SeriesDescription = "colour image labelled CT" if modality == "CT" else "secondary capture"
    ds.ConversionType = "WSD"
    rows, cols = 64, 96
    y, x = np.mgrid[0:rows, 0:cols]
    rgb = np.stack([x * 255 // cols, y * 255 // rows, np.full((rows, cols), 128)], axis=-1).astype(np.uint8)
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = rgb.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(os.path.join(out, f"{modality}.dcm"), write_like_original=False)
print(study)
