#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small, valid or nearly valid inputs of each
surface, so that the fuzzers start deep inside the readers rather than at their first check. Deterministic: running
it again rewrites the same bytes. Uses Debian's python3-onnx, python3-numpy and python3-pydicom.

    /usr/bin/python3 fuzz/make_seeds.py [--lidc DEMO_TARBALL]

--lidc adds one slice of the bundled demo study (LIDC-IDRI-0001, CC BY 3.0, demo/ATTRIBUTION), its pixels cropped
to 16x16, as a seed of the Part-10 and CT series targets."""
import argparse
import io
import json
import pathlib
import struct
import tarfile

import numpy as np
import onnx
import pydicom
from onnx import TensorProto, helper, numpy_helper
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
UID_ROOT = "1.2.826.0.1.3680043.10."  # the fuzz harnesses' series uses these UIDs (fuzz/part10_fuzz.cpp)
SLICE_UIDS = [UID_ROOT + "1.1", UID_ROOT + "1.2"]


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


# ---------------------------------------------------------------------------------------------------------- ONNX
def model_bytes(nodes, inputs, outputs, initializers=(), opset=13, metadata=None, ir_version=8):
    graph = helper.make_graph(nodes, "seed", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="cairn-fuzz-seeds")
    model.ir_version = ir_version
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return model.SerializeToString()


def tensor(name, array, float16=False):
    array = np.asarray(array)
    if float16:
        array = array.astype(np.float16)
    return numpy_helper.from_array(array, name)


def onnx_seeds():
    rng = np.random.default_rng(8)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])
    xs = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H", "W"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)

    write("onnx_loader", "conv_relu.onnx", model_bytes(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"])],
        [x], [y], [tensor("w", f32(2, 1, 3, 3)), tensor("b", f32(2))]))

    # A U-Net in miniature: strided conv, pooling, transposed conv, skip concatenation, BatchNormalization, sigmoid.
    write("onnx_loader", "unet_tiny_fp16.onnx", model_bytes(
        [helper.make_node("Conv", ["x", "w1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c1", "s", "bb", "m", "v"], ["n1"]),
         helper.make_node("LeakyRelu", ["n1"], ["r1"], alpha=0.1),
         helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=2),
         helper.make_node("ConvTranspose", ["c2", "w3"], ["u1"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Concat", ["u1", "r1"], ["cat"], axis=1),
         helper.make_node("Conv", ["cat", "w4"], ["c4"], kernel_shape=[1, 1]),
         helper.make_node("Sigmoid", ["c4"], ["y"])],
        [x], [y],
        [tensor("w1", f32(2, 1, 3, 3), True), tensor("s", np.ones(2, np.float32)), tensor("bb", np.zeros(2, np.float32)),
         tensor("m", np.zeros(2, np.float32)), tensor("v", np.ones(2, np.float32)), tensor("w2", f32(2, 1, 3, 3), True),
         tensor("b2", f32(2), True), tensor("w3", f32(2, 2, 2, 2), True), tensor("w4", f32(1, 4, 1, 1))]))

    # The shape subgraph PyTorch emits for dynamic sizes, folded at load time.
    write("onnx_loader", "shape_subgraph.onnx", model_bytes(
        [helper.make_node("Shape", ["x"], ["shape"]),
         helper.make_node("Gather", ["shape", "two"], ["h"], axis=0),
         helper.make_node("Unsqueeze", ["h", "zero"], ["h1"]),
         helper.make_node("Concat", ["one_one", "h1", "minus_one"], ["new_shape"], axis=0),
         helper.make_node("Reshape", ["x", "new_shape"], ["r"]),
         helper.make_node("Transpose", ["r"], ["t"], perm=[0, 1, 3, 2]),
         helper.make_node("Slice", ["t", "starts", "ends", "axes"], ["s"]),
         helper.make_node("Cast", ["h"], ["hf"], to=TensorProto.FLOAT),
         helper.make_node("Mul", ["s", "hf"], ["y"])],
        [xs], [y],
        [tensor("two", np.array(2, np.int64)), tensor("zero", np.array([0], np.int64)),
         tensor("one_one", np.array([1, 1], np.int64)), tensor("minus_one", np.array([-1], np.int64)),
         tensor("starts", np.array([1], np.int64)), tensor("ends", np.array([-1], np.int64)),
         tensor("axes", np.array([3], np.int64))]))

    # Load-time operators on constants: Constant, ConstantOfShape, Range, Expand, Squeeze, integer arithmetic.
    write("onnx_loader", "constants.onnx", model_bytes(
        [helper.make_node("Constant", [], ["n"], value=tensor("n", np.array([1, 1, 2, 2], np.int64))),
         helper.make_node("ConstantOfShape", ["n"], ["ones"], value=tensor("v", np.array([0.5], np.float32))),
         helper.make_node("Range", ["r0", "r1", "r2"], ["range"]),
         helper.make_node("Add", ["range", "r1"], ["range2"]),
         helper.make_node("Expand", ["ones", "n"], ["e"]),
         helper.make_node("Resize", ["x", "", "scales"], ["big"], mode="nearest"),
         helper.make_node("AveragePool", ["big"], ["p"], kernel_shape=[8, 8], strides=[8, 8]),
         helper.make_node("Sub", ["p", "e"], ["d"]),
         helper.make_node("Div", ["d", "two_f"], ["q"]),
         helper.make_node("Clip", ["q", "lo", "hi"], ["y"])],
        [x], [y],
        [tensor("r0", np.array(0, np.int64)), tensor("r1", np.array(4, np.int64)), tensor("r2", np.array(1, np.int64)),
         tensor("scales", np.array([1, 1, 2, 2], np.float32)), tensor("two_f", np.array(2, np.float32)),
         tensor("lo", np.array(-1, np.float32)), tensor("hi", np.array(1, np.float32))], opset=13))

    # A classifier head: Pad, GlobalAveragePool, Flatten, Gemm, Softmax; and a MatMul branch with Tanh.
    write("onnx_loader", "head.onnx", model_bytes(
        [helper.make_node("Pad", ["x", "pads"], ["pd"], mode="reflect"),
         helper.make_node("GlobalAveragePool", ["pd"], ["g"]),
         helper.make_node("Flatten", ["g"], ["f"], axis=1),
         helper.make_node("Gemm", ["f", "wg", "bg"], ["z"], transB=1),
         helper.make_node("MatMul", ["z", "wm"], ["z2"]),
         helper.make_node("Tanh", ["z2"], ["t"]),
         helper.make_node("Softmax", ["t"], ["y"], axis=-1)],
        [x], [y],
        [tensor("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)), tensor("wg", f32(3, 1)), tensor("bg", f32(3)),
         tensor("wm", f32(3, 3))]))

    # Opset 9 Upsample, IR 3 style (the initializer also listed as a graph input), Dropout, Identity, GlobalMaxPool.
    w = tensor("w", f32(1, 1, 1, 1))
    write("onnx_loader", "ir3_upsample.onnx", model_bytes(
        [helper.make_node("Upsample", ["x", "sc"], ["u"], mode="nearest"),
         helper.make_node("Conv", ["u", "w"], ["c"]),
         helper.make_node("Dropout", ["c"], ["dr"]),
         helper.make_node("Identity", ["dr"], ["i"]),
         helper.make_node("GlobalMaxPool", ["i"], ["y"])],
        [x, helper.make_tensor_value_info("w", TensorProto.FLOAT, [1, 1, 1, 1])], [y],
        [tensor("sc", np.array([1, 1, 2, 2], np.float32)), w], opset=9, ir_version=3))

    # The lung model's metadata (docs/model-metadata.md) on a one-layer network.
    write("onnx_loader", "segmentation_metadata.onnx", model_bytes(
        [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[1, 1])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 16, 16])], [y],
        [tensor("w", f32(1, 1, 1, 1))], metadata=dict(metadata_lines(split=True))))

    t = tensor("input", f32(1, 2, 3))
    write("onnx_loader", "tensor_proto.pb", t.SerializeToString())
    write("onnx_loader", "tensor_proto_int64.pb", tensor("shape", np.array([1, -1, 4], np.int64)).SerializeToString())
    # Typed fields rather than raw_data.
    typed = helper.make_tensor("typed", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0])
    write("onnx_loader", "tensor_proto_typed.pb", typed.SerializeToString())


# ----------------------------------------------------------------------------------------------------------- npy
def npy_bytes(array, version=(1, 0)):
    out = io.BytesIO()
    np.lib.format.write_array(out, np.asarray(array), version=version, allow_pickle=False)
    return out.getvalue()


def npy_seeds():
    write("npy", "f4_2x3.npy", npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3)))
    write("npy", "f8_v2.npy", npy_bytes(np.linspace(-1, 1, 5), version=(2, 0)))
    write("npy", "f2_v3.npy", npy_bytes(np.array([[0.5, -2, 65504]], dtype="<f2"), version=(3, 0)))
    write("npy", "u1_4d.npy", npy_bytes(np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4)))
    write("npy", "i2.npy", npy_bytes(np.array([-1024, 3071], dtype="<i2")))
    write("npy", "b1.npy", npy_bytes(np.array([True, False])))
    write("npy", "i8_scalar.npy", npy_bytes(np.array(7, dtype="<i8")))
    write("npy", "u4_empty.npy", npy_bytes(np.zeros((0, 3), dtype="<u4")))
    write("npy", "fortran.npy", npy_bytes(np.asfortranarray(np.ones((2, 2), dtype="<f4"))))


# ------------------------------------------------------------------------------------------------ model metadata
def metadata_lines(split):
    labels = ([{"value": 1, "name": "Right lung", "snomed": "3341006", "meaning": "Right lung", "color": [128, 174, 128]},
               {"value": 2, "name": "Left lung", "snomed": "44029006", "meaning": "Left lung", "color": [241, 214, 145]},
               {"value": 255, "name": "Lung", "snomed": "39607008", "meaning": "Lung", "color": [197, 165, 145]}]
              if split else [{"value": 1, "name": "Lung", "color": [255, 0, 0]}])
    return [("cairn.schema", "1"), ("cairn.task", "segmentation"), ("cairn.name", "Lung U-Net"),
            ("cairn.version", "1.0"), ("cairn.description", "fuzz seed"), ("cairn.input.modality", "CT"),
            ("cairn.input.hu_clip", "-1024,600"), ("cairn.input.center", "-212"), ("cairn.input.scale", "812"),
            ("cairn.input.size", "256x256"), ("cairn.input.resample", "area"), ("cairn.output.activation", "sigmoid"),
            ("cairn.output.threshold", "0.5"), ("cairn.output.resample", "bilinear"),
            ("cairn.postprocess.components", "2" if split else "0"),
            ("cairn.postprocess.fill_holes", "slice" if split else "none"),
            ("cairn.postprocess.split", "left_right" if split else "none"),
            ("cairn.labels", json.dumps(labels, separators=(",", ":")))]


def metadata_seeds():
    for split in (True, False):
        text = "\n".join(f"{k}={v}" for k, v in metadata_lines(split)).encode()
        write("model_metadata", f"spec_{'split' if split else 'single'}.txt", text)
    write("model_metadata", "json_values.json",
          json.dumps({"a": [1, -2.5e-3, True, False, None], "s": "caf\u00e9 \"q\" \\ \n \ud83e\udec1",
                      "nested": {"x": [[[]]], "y": {}}}, ensure_ascii=True).encode())
    write("model_metadata", "json_utf8.json", json.dumps(["\u00e9\u4e2d", 1e300, -0.0], ensure_ascii=False).encode())


# ---------------------------------------------------------------------------------------------------------- DICOM
def part10(ds, implicit=False):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_ROOT + "99"
    file = pydicom.dataset.FileDataset(None, ds, file_meta=meta, preamble=b"\0" * 128)
    file.is_little_endian, file.is_implicit_VR = True, implicit
    out = io.BytesIO()
    pydicom.dcmwrite(out, file, write_like_original=False)
    return out.getvalue()


def ct_slice(index, size=8, implicit=False, z=None):
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = UID_ROOT + f"4.{index + 1}"
    ds.Modality = "CT"
    ds.StudyInstanceUID = UID_ROOT + "5"
    ds.SeriesInstanceUID = UID_ROOT + "6"
    ds.FrameOfReferenceUID = UID_ROOT + "3"
    ds.PatientName = "Fuzz^Seed"
    ds.PatientID = "FUZZ"
    ds.StudyDate = "20240101"
    ds.InstanceNumber = str(index + 1)
    ds.ImagePositionPatient = ["-4", "-4", str(index * 2.5 if z is None else z)]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.PixelSpacing = ["0.7", "0.7"]
    ds.SliceThickness = "2.5"
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 1
    ds.RescaleIntercept, ds.RescaleSlope = "-1024", "1"
    ds.PixelData = (np.arange(size * size, dtype=np.int16) * 37 % 2000).tobytes()
    return part10(ds, implicit)


def series_input(files):
    """The ct_series target's format: a count byte, then each file but the last preceded by its 32-bit length."""
    out = bytes([len(files) - 1])
    for k, f in enumerate(files):
        out += (struct.pack("<I", len(f)) if k + 1 < len(files) else b"") + f
    return out


def code(value, scheme, meaning):
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def seg_file(fractional=False):
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
    ds.SOPInstanceUID = UID_ROOT + "7"
    ds.Modality = "SEG"
    ds.StudyInstanceUID = UID_ROOT + "5"
    ds.SeriesInstanceUID = UID_ROOT + "8"
    ds.FrameOfReferenceUID = UID_ROOT + "3"
    ds.SegmentationType = "FRACTIONAL" if fractional else "BINARY"
    ds.Rows = ds.Columns = 16
    ds.NumberOfFrames = "3"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8 if fractional else 1
    ds.HighBit = 7 if fractional else 0
    ds.PixelRepresentation = 0
    if fractional:
        ds.MaximumFractionalValue = 255
    segments = []
    for number, (label, snomed, color) in enumerate([("Right lung", "3341006", [30000, 20000, 40000]),
                                                     ("Left lung", "44029006", [50000, 30000, 30000])], 1):
        s = Dataset()
        s.SegmentNumber = number
        s.SegmentLabel = label
        s.SegmentAlgorithmType = "AUTOMATIC"
        s.SegmentAlgorithmName = "Lung U-Net 1.0"
        s.SegmentedPropertyCategoryCodeSequence = Sequence([code("91723000", "SCT", "Anatomical Structure")])
        s.SegmentedPropertyTypeCodeSequence = Sequence([code(snomed, "SCT", label)])
        s.RecommendedDisplayCIELabValue = color
        segments.append(s)
    ds.SegmentSequence = Sequence(segments)
    shared = Dataset()
    orientation = Dataset()
    orientation.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    shared.PlaneOrientationSequence = Sequence([orientation])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for segment, slice_index in [(1, 0), (1, 1), (2, 1)]:
        frame = Dataset()
        source = Dataset()
        source.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        source.ReferencedSOPInstanceUID = SLICE_UIDS[slice_index]
        derivation = Dataset()
        derivation.SourceImageSequence = Sequence([source])
        frame.DerivationImageSequence = Sequence([derivation])
        position = Dataset()
        position.ImagePositionPatient = ["-8", "-8", str(slice_index)]
        frame.PlanePositionSequence = Sequence([position])
        identification = Dataset()
        identification.ReferencedSegmentNumber = segment
        frame.SegmentIdentificationSequence = Sequence([identification])
        frames.append(frame)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    mask = np.zeros((3, 16, 16), np.uint8)
    mask[:, 4:12, 2:7] = 1
    mask[2] = 0
    mask[2, 4:12, 9:14] = 1
    if fractional:
        ds.PixelData = (mask * 255).tobytes()
    else:
        ds.PixelData = np.packbits(mask.reshape(-1), bitorder="little").tobytes()
    return part10(ds)


def rtstruct_file(implicit=False):
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    ds.SOPInstanceUID = UID_ROOT + "2.1"
    ds.Modality = "RTSTRUCT"
    ref = Dataset()
    ref.FrameOfReferenceUID = UID_ROOT + "3"
    ds.ReferencedFrameOfReferenceSequence = Sequence([ref])
    rois, roi_contours = [], []
    for number, name in [(1, "Lung_R"), (2, "Lung_L"), (3, "GTV")]:
        roi = Dataset()
        roi.ROINumber = str(number)
        roi.ROIName = name
        rois.append(roi)
        rc = Dataset()
        rc.ReferencedROINumber = str(number)
        contours = []
        for z in (0, 1):
            c = Dataset()
            c.ContourGeometricType = "CLOSED_PLANAR"
            x0, x1 = (-6, -1) if number == 1 else (1, 6)
            c.ContourData = [str(v) for v in (x0, -5, z, x1, -5, z, x1, 5, z, x0, 5, z)]
            contours.append(c)
        rc.ContourSequence = Sequence(contours)
        roi_contours.append(rc)
    ds.StructureSetROISequence = Sequence(rois)
    ds.ROIContourSequence = Sequence(roi_contours)
    return part10(ds, implicit)


def lidc_slice(tarball):
    """One slice of the demo study (LIDC-IDRI-0001, CC BY 3.0) with its pixels cropped to the central 16x16."""
    with tarfile.open(tarball) as tar:
        member = sorted((m for m in tar.getmembers() if m.name.endswith(".dcm")), key=lambda m: m.name)[0]
        ds = pydicom.dcmread(io.BytesIO(tar.extractfile(member).read()))
    pixels = ds.pixel_array[248:264, 248:264].copy()
    ds.Rows = ds.Columns = 16
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    return part10(ds)


def dicom_seeds(lidc):
    slices = [ct_slice(k) for k in range(3)]
    write("part10", "ct_explicit.dcm", slices[0])
    write("part10", "ct_implicit.dcm", ct_slice(0, implicit=True))
    write("part10", "seg_binary.dcm", seg_file())
    write("part10", "seg_fractional.dcm", seg_file(fractional=True))
    write("part10", "rtstruct.dcm", rtstruct_file())
    write("part10", "rtstruct_implicit.dcm", rtstruct_file(implicit=True))
    write("ct_series", "one_slice.bin", series_input(slices[:1]))
    write("ct_series", "three_slices.bin", series_input(slices))
    write("ct_series", "implicit_pair.bin", series_input([ct_slice(0, implicit=True), ct_slice(1, implicit=True)]))
    write("ct_series", "uneven.bin", series_input([ct_slice(0), ct_slice(1, z=2.5), ct_slice(2, z=9)]))
    write("ct_series", "with_rtstruct.bin", series_input([slices[0], rtstruct_file(), slices[1]]))
    if lidc:
        one = lidc_slice(lidc)
        write("part10", "lidc_0001_crop16.dcm", one)
        write("ct_series", "lidc_0001_crop16.bin", series_input([one]))


# ------------------------------------------------------------------------------------------------------ seg_input
def seg_descriptions():
    series = {
        "study_instance_uid": UID_ROOT + "5", "series_instance_uid": UID_ROOT + "6",
        "frame_of_reference_uid": UID_ROOT + "3", "rows": 16, "columns": 16, "pixel_spacing": [1, 1],
        "orientation": [1, 0, 0, 0, 1, 0], "slice_thickness": 1,
        "slices": [{"sop_instance_uid": uid, "sop_class_uid": "1.2.840.10008.5.1.4.1.1.2", "position": [-8, -8, k]}
                   for k, uid in enumerate(SLICE_UIDS)],
        "patient_name": "Fuzz^Seed", "patient_id": "FUZZ", "patient_birth_date": "19700101", "patient_sex": "O",
        "study_date": "20240101", "study_time": "120000", "study_id": "1", "accession_number": "A1",
        "referring_physician_name": "", "study_description": "Chest", "position_reference_indicator": "",
        "specific_character_set": "ISO_IR 100",
    }
    segments = {
        "segments": [{"value": 1, "label": "Right lung", "snomed": "3341006", "meaning": "Right lung",
                      "color": [128, 174, 128]},
                     {"value": 2, "label": "Left lung", "snomed": "44029006", "meaning": "Left lung",
                      "color": [241, 214, 145]}],
        "algorithm": {"name": "Lung U-Net", "version": "1.0"},
        "series_description": "Lungs", "series_number": "901", "content_description": "fuzz seed",
        "software_version": "0.1", "seg_series_instance_uid": UID_ROOT + "8", "seg_sop_instance_uid": UID_ROOT + "7",
        "content_date": "20240101", "content_time": "120000",
    }
    labels = np.zeros((2, 16, 16), np.uint8)
    labels[:, 4:12, 2:7] = 1
    labels[1, 4:12, 9:14] = 2
    full = json.dumps({**series, **segments}).encode()
    write("seg_input", "write_full.json", full + b"\0" + labels.tobytes())
    write("seg_input", "write_pattern.json", full + b"\0\x00\x01\x02")
    write("seg_input", "write_empty_mask.json", full)
    write("seg_input", "rtstruct_rois.json", json.dumps({**series, "rois": ["Lung_L", "GTV"]}).encode())
    minimal = {"rows": 16, "columns": 16, "slices": [{"sop_instance_uid": uid} for uid in SLICE_UIDS]}
    write("seg_input", "read_minimal.json", json.dumps(minimal).encode())
    one = {**series, **segments, "slices": series["slices"][:1], "orientation": [0, 1, 0, 0, 0, -1]}
    write("seg_input", "write_one_sagittal.json", json.dumps(one).encode() + b"\0\x01")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lidc", help="the demo study's tarball (demo/LIDC-IDRI-0001.tar.xz)")
    args = parser.parse_args()
    onnx_seeds()
    npy_seeds()
    metadata_seeds()
    dicom_seeds(args.lidc)
    seg_descriptions()
    for folder in sorted(CORPUS.iterdir()):
        sizes = [f.stat().st_size for f in folder.iterdir()]
        print(f"{folder.name}: {len(sizes)} seeds, {sum(sizes)} bytes, largest {max(sizes)}")


if __name__ == "__main__":
    main()
