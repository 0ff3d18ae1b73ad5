#!/usr/bin/python3
"""Writes the hand-made regressions of fuzz/regressions/ (the files with descriptive names; see its README.md): each
pins down one cause found while fuzzing, as a small variation of a seed of fuzz/make_seeds.py. Deterministic.

    /usr/bin/python3 fuzz/make_regressions.py"""
import io
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_seeds as m  # noqa: E402
import pydicom  # noqa: E402
from pydicom.dataelem import DataElement  # noqa: E402

R = pathlib.Path(__file__).resolve().parent / 'regressions'

def reread(data):
    return pydicom.dcmread(io.BytesIO(data))

def dump(ds):
    out = io.BytesIO()
    pydicom.dcmwrite(out, ds, write_like_original=False)
    return out.getvalue()

# 1. SEG whose Rows is an FD NaN: int(NaN) in parse_seg.
ds = reread(m.seg_file())
del ds[0x00280010]
ds.add(DataElement(0x00280010, 'FD', float('nan')))
(R / 'part10' / 'seg_rows_nan.dcm').write_bytes(dump(ds))
# 2. SEG with NumberOfFrames 1e300: size_t(1e300).
ds = reread(m.seg_file())
ds.NumberOfFrames = '1e300'
(R / 'part10' / 'seg_frames_1e300.dcm').write_bytes(dump(ds))
# 3. SEG frame whose ReferencedSegmentNumber is an FD NaN: uint8_t(NaN) in read_labels.
ds = reread(m.seg_file())
item = ds.PerFrameFunctionalGroupsSequence[0].SegmentIdentificationSequence[0]
del item[0x0062000B]
item.add(DataElement(0x0062000B, 'FD', float('nan')))
(R / 'part10' / 'seg_segment_number_nan.dcm').write_bytes(dump(ds))
# 4. RTSTRUCT whose ROINumber is 1e20: int(1e20).
ds = reread(m.rtstruct_file())
ds.StructureSetROISequence[0].ROINumber = '1e20'
(R / 'part10' / 'rtstruct_roi_number_1e20.dcm').write_bytes(dump(ds))
# 5. RTSTRUCT with a contour far away (1e308): coordinates overflow to infinity on the fixed series.
ds = reread(m.rtstruct_file())
ds.ROIContourSequence[0].ContourSequence[0].ContourData = ['-1e308', '-1e308', '0', '1e308', '-5', '0', '1e308', '1e308', '0']
(R / 'part10' / 'rtstruct_contour_overflow.dcm').write_bytes(dump(ds))
# 6. CT slice of 65535 x 65535 pixels with 128 bytes of pixel data: a 16 GiB allocation.
ds = reread(m.ct_slice(0))
ds.Rows = ds.Columns = 65535
(R / 'ct_series' / 'rows_columns_65535.bin').write_bytes(m.series_input([dump(ds)]))
# 7. CT slice whose Rows is an FD 1e10: int(1e10).
ds = reread(m.ct_slice(0))
del ds[0x00280010]
ds.add(DataElement(0x00280010, 'FD', 1e10))
(R / 'ct_series' / 'rows_1e10.bin').write_bytes(m.series_input([dump(ds)]))
# 8. CT slice with NumberOfFrames NaN (FD) and SamplesPerPixel 1e300: the messages cast them.
ds = reread(m.ct_slice(0))
ds.add(DataElement(0x00280008, 'FD', float('inf')))
(R / 'ct_series' / 'frames_infinite.bin').write_bytes(m.series_input([dump(ds)]))
ds = reread(m.ct_slice(0))
ds.SamplesPerPixel = None
del ds[0x00280002]
ds.add(DataElement(0x00280002, 'FD', 1e300))
(R / 'ct_series' / 'samples_1e300.bin').write_bytes(m.series_input([dump(ds)]))
# 9. Series description whose pixel spacing is 1e-308 and slices straddle the contours: coordinates become
#    +-infinity, then NaN, in the RTSTRUCT rasterizer.
seed = json.loads((m.CORPUS / 'seg_input' / 'rtstruct_rois.json').read_bytes())
seed['pixel_spacing'] = [1e-308, 1e-308]
seed['rois'] = ['Lung_R', 'Lung_L']
for s in seed['slices']:
    s['position'][1] = 0
(R / 'seg_input' / 'rtstruct_spacing_1e-308.json').write_bytes(json.dumps(seed).encode())
