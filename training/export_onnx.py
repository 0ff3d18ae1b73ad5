#!/usr/bin/python3
"""Export the trained lung U-Net to ONNX with the metadata that describes its processing, and check the export.

usage: python3 training/export_onnx.py [--weights ~/.cache/cairn-train/model.pt] [--out models/lung-unet]
                                       [--version 1.0] [--fp16] [--cairn build/release/tools/cli/cairn]

--weights takes model.pt (a state dict) or a resumable last.pt (then the version says which step it is).
Writes, under --out (default models/lung-unet):
  model.onnx        opset 17, input "ct" 1x1x256x256, output "lung" (the sigmoid probability), and the cairn.*
                    metadata_props of docs/model-metadata.md; with --fp16 the weights are stored as float16 (half
                    the download; the engine and ONNX Runtime widen them to float32 at load, through Cast nodes)
  MODEL_CARD.md     what the model is, how it was trained, how it was checked
  test_vector/      one real CT slice (demo/LIDC-IDRI-0001.tar.xz, not a training case): hu.npy (int16 HU),
                    mask.npy (uint8 0/1, PyTorch's mask at slice size), model_probability.npy (float16, PyTorch's
                    network output at 256x256) and vector.json (the slice, the tolerance and how it was derived);
                    tests/models/model_vector_test.cpp runs the engine's Segmenter on it (ctest -L models)
and adds or replaces the model's entry in models/catalog.json (the viewer's catalog, web/viewer/src/catalog.ts:
id, name, version, description, task, file, sha256, size, parameters, input, card, development).

The export is checked three ways, and the script fails when a check fails:
  1. ONNX Runtime (onnxruntime-node, through tests/models/ort_reference.mjs) against PyTorch on the test slice;
  2. the cairn command: `cairn info` must parse the description, `cairn run` must match PyTorch;
  3. the tolerance for both is the one of tests/models/compare.py: 2 u D max(1, |y|), D the summed reduction
     lengths of the network (float32, u = 2^-24).
With --fp16 the PyTorch reference uses the float16-rounded weights (the export is checked, not the rounding); the
effect of the rounding itself is printed (max probability change and mask agreement on the slice).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "models"))

import dataset  # noqa: E402
import dicom_io  # noqa: E402
import model as unet  # noqa: E402
import postprocess  # noqa: E402
from compare import reduction_depth  # noqa: E402  (tests/models/compare.py)

MODEL_ID = "lung-unet"
NAME = "Lung U-Net"
DESCRIPTION = ("Both lungs on chest CT, slice by slice: the 2-D U-Net of Jodogne's client-side deep learning paper "
               "(7,759,521 parameters), then the two largest 3-D components, holes filled per slice, and the right "
               "and left lungs told apart. For research and demonstration, not for clinical use.")
INPUT_NAME, OUTPUT_NAME = "ct", "lung"
OPSET = 17
# Mask values and labels: docs/model-metadata.md. SNOMED CT codes as DICOM uses them (CID 7710 region, SCT).
LABELS = [
    {"value": 1, "name": "Right lung", "snomed": "3341006", "meaning": "Right lung", "color": [220, 70, 60]},
    {"value": 2, "name": "Left lung", "snomed": "44029006", "meaning": "Left lung", "color": [60, 130, 220]},
    {"value": 255, "name": "Lung", "snomed": "39607008", "meaning": "Lung", "color": [230, 60, 60]},
]
DEMO_STUDY = os.path.join(REPO, "demo", "LIDC-IDRI-0001.tar.xz")
U = 2.0 ** -24


def metadata(version: str) -> list:
    """The cairn.* metadata_props, in the order the engine's segmentation_metadata() writes them."""
    return [
        ("cairn.schema", "1"),
        ("cairn.task", "segmentation"),
        ("cairn.name", NAME),
        ("cairn.version", version),
        ("cairn.description", DESCRIPTION),
        ("cairn.input.modality", "CT"),
        ("cairn.input.hu_clip", f"{dataset.HU_MIN:g},{dataset.HU_MAX:g}"),
        ("cairn.input.center", f"{dataset.HU_CENTRE:g}"),
        ("cairn.input.scale", f"{dataset.HU_HALF_RANGE:g}"),
        ("cairn.input.size", f"{dataset.MODEL_SIZE}x{dataset.MODEL_SIZE}"),
        ("cairn.input.resample", "area"),
        # UNet.forward ends with torch.sigmoid: the exported output is already a probability.
        ("cairn.output.activation", "none"),
        ("cairn.output.threshold", f"{dataset.THRESHOLD:g}"),
        ("cairn.output.resample", "bilinear"),
        ("cairn.postprocess.components", "2"),
        ("cairn.postprocess.fill_holes", "slice"),
        ("cairn.postprocess.split", "left_right"),
        ("cairn.labels", json.dumps(LABELS, separators=(",", ":"))),
    ]


def load_weights(path: str) -> tuple:
    """The network and a default version: "1.0" for final weights, "0.dev<step>" for a training checkpoint."""
    net = unet.build_model()
    state = torch.load(path, map_location="cpu")
    resumable = isinstance(state, dict) and "model" in state and "optimizer" in state
    net.load_state_dict(state["model"] if resumable else state)
    net.eval()
    return net, (f"0.dev{int(state['step'])}" if resumable else "1.0"), (int(state["step"]) if resumable else None)


def round_weights_to_fp16(net: torch.nn.Module) -> None:
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(p.half().float())


def store_initializers_as_fp16(model: onnx.ModelProto) -> None:
    """Every float initializer becomes float16, widened back by a Cast node at the start of the graph."""
    graph = model.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        name = init.name
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), name + "_fp16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], name=name + "_cast", to=TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)


def export(net, path: str, version: str, fp16: bool) -> onnx.ModelProto:
    example = torch.zeros(1, 1, dataset.MODEL_SIZE, dataset.MODEL_SIZE)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.onnx")
        torch.onnx.export(net, example, raw, opset_version=OPSET, input_names=[INPUT_NAME],
                          output_names=[OUTPUT_NAME], do_constant_folding=True)
        model = onnx.load(raw)
    if fp16:
        store_initializers_as_fp16(model)
    model.producer_name = "cairn training/export_onnx.py"
    model.doc_string = DESCRIPTION
    del model.metadata_props[:]
    for key, value in metadata(version):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return model


def demo_slice(index: int = None) -> tuple:
    """A slice of the demo study (HU, row direction, its SOP Instance UID, its index, the slice count)."""
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(DEMO_STUDY) as tar:
            tar.extractall(tmp)  # the repository's own demo study
        volume = dicom_io.read_ct_series(os.path.join(tmp, "LIDC-IDRI-0001", "ct"))
    k = len(volume.hu) // 2 if index is None else index
    hu = volume.hu[k]
    if not np.array_equal(hu, np.round(hu)) or hu.min() < -32768 or hu.max() > 32767:
        raise SystemExit("export_onnx.py: the demo slice's HU are not int16 integers")
    return hu.astype(np.int16), volume.row_dir, volume.sop_uids[k], k, len(volume.hu)


def write_npy_float32(path, array):
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def check_with_onnx_runtime(model_path: str, x: np.ndarray, torch_out: np.ndarray, tau: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(model_path, os.path.join(tmp, "model.onnx"))
        write_npy_float32(os.path.join(tmp, "input.npy"), x)
        write_npy_float32(os.path.join(tmp, f"torch_{MODEL_ID}.npy"), torch_out)
        manifest = {"cases": [{"name": MODEL_ID, "model": "model.onnx",
                               "inputs": [{"name": INPUT_NAME, "file": "input.npy", "shape": list(x.shape)}],
                               "outputs": [{"name": OUTPUT_NAME, "shape": list(torch_out.shape)}]}]}
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(manifest, f)
        script = os.path.join(REPO, "tests", "models", "ort_reference.mjs")
        proc = subprocess.run(["node", script, tmp], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        if proc.returncode != 0:
            raise SystemExit(f"export_onnx.py: ONNX Runtime failed:\n{proc.stdout}")
        ort_out = np.load(os.path.join(tmp, f"expected_{MODEL_ID}.npy"))
    error = float(np.abs(ort_out.astype(np.float64) - torch_out).max())
    print(f"  ONNX Runtime vs PyTorch: max |diff| {error:.2e} (tolerance {tau:.2e}), "
          f"mask agreement {100 * np.mean((ort_out > 0.5) == (torch_out > 0.5)):.4f} %")
    if error > tau:
        raise SystemExit("export_onnx.py: ONNX Runtime disagrees with PyTorch beyond the tolerance")
    return error


def default_cairn() -> str:
    for preset in ("release", "debug", "h-seg"):
        path = os.path.join(REPO, "build", preset, "tools", "cli", "cairn")
        if os.access(path, os.X_OK):
            return path
    return ""


def check_with_cairn(cairn: str, model_path: str, x: np.ndarray, torch_out: np.ndarray, tau: float) -> float:
    info = subprocess.run([cairn, "info", model_path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if info.returncode != 0 or "segmentation:" not in info.stdout:
        raise SystemExit(f"export_onnx.py: `cairn info` does not show the segmentation description:\n{info.stdout}")
    with tempfile.TemporaryDirectory() as tmp:
        write_npy_float32(os.path.join(tmp, "x.npy"), x)
        run = subprocess.run([cairn, "run", model_path, os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy"),
                              "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if run.returncode != 0:
            raise SystemExit(f"export_onnx.py: `cairn run` failed:\n{run.stdout}")
        out = np.load(os.path.join(tmp, "y.npy"))
    error = float(np.abs(out.astype(np.float64) - torch_out).max())
    print(f"  cairn vs PyTorch: max |diff| {error:.2e} (tolerance {tau:.2e}), "
          f"mask agreement {100 * np.mean((out > 0.5) == (torch_out > 0.5)):.4f} %")
    if error > tau:
        raise SystemExit("export_onnx.py: the cairn engine disagrees with PyTorch beyond the tolerance")
    return error


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def update_catalog(catalog_path: str, entry: dict) -> None:
    catalog = {"models": []}
    if os.path.exists(catalog_path):
        with open(catalog_path) as f:
            catalog = json.load(f)
    models = [m for m in catalog.get("models", []) if m.get("id") != entry["id"]]
    catalog["models"] = models + [entry]
    with open(catalog_path, "w") as f:
        json.dump(catalog, f, indent=2)
        f.write("\n")


def write_card(path: str, version: str, step, fp16: bool, size: int, digest: str, checks: dict, vector: dict):
    trained = f"a training checkpoint at step {step}" if step is not None else "the final weights of the recipe"
    lines = [
        f"# {NAME} {version}",
        "",
        DESCRIPTION,
        "",
        "## Model",
        f"- File: `model.onnx`, {size:,} bytes, sha256 `{digest}`; ONNX opset {OPSET}, "
        f"{'float16 weights (widened to float32 at load)' if fp16 else 'float32 weights'}.",
        f"- Input `{INPUT_NAME}`: float32 1x1x{dataset.MODEL_SIZE}x{dataset.MODEL_SIZE}; output `{OUTPUT_NAME}`: "
        "the probability of lung (the network ends with a sigmoid).",
        f"- Architecture: `training/model.py` ({unet.PAPER_PARAMETER_COUNT:,} parameters); weights: {trained} "
        "(`training/train.py`, recipe and data in `training/README.md`).",
        "",
        "## Processing (stated in the file's metadata, docs/model-metadata.md)",
        f"1. HU = stored value x RescaleSlope + RescaleIntercept; the slice is resampled to "
        f"{dataset.MODEL_SIZE}x{dataset.MODEL_SIZE} by area averaging.",
        f"2. x = (clip(HU, {dataset.HU_MIN:g}, {dataset.HU_MAX:g}) - ({dataset.HU_CENTRE:g})) / "
        f"{dataset.HU_HALF_RANGE:g}.",
        f"3. The probability is resampled back to the slice bilinearly (half-pixel centres), foreground where "
        f"> {dataset.THRESHOLD:g}.",
        "4. Over the series: the two largest 26-connected 3-D components, holes filled per slice, the right (1) "
        "and left (2) lungs told apart by the components' sides (one component: cut at its midline).",
        "",
        "## Checks at export (`training/export_onnx.py`)",
        f"On slice {vector['slice_index']} of {vector['slice_count']} of the demo study (LIDC-IDRI-0001, not a "
        "training case), against PyTorch at 256x256, tolerance 2 u D max(1, |y|) = "
        f"{checks['tolerance']:.2e} (D = {checks['depth']}):",
        f"- ONNX Runtime: max |diff| {checks['ort']:.2e}" if checks.get("ort") is not None
        else "- ONNX Runtime: not run",
        f"- cairn engine: max |diff| {checks['cairn']:.2e}" if checks.get("cairn") is not None
        else "- cairn engine: not run",
    ]
    if fp16:
        lines.append(f"- float16 weights against float32 ones (PyTorch): max probability change "
                     f"{checks['fp16_change']:.2e}, mask agreement {100 * checks['fp16_agreement']:.4f} %")
    lines += [
        "",
        "The test vector (`test_vector/`) is re-checked by `ctest -L models` (tests/models/model_vector_test.cpp).",
        "",
        "## Limits",
        "- Trained on two public chest CTs (NSCLC-Radiomics LUNG1-002, LUNG1-003) with augmentation; validated on "
        "one (onkodicom-RT02). Expect failures on unusual anatomy, contrast phases, pediatric scans and "
        "non-axial series.",
        "- Not a medical device; for research and demonstration only.",
        "",
        "Demo data: LIDC-IDRI (The Cancer Imaging Archive), CC BY 3.0; see demo/ATTRIBUTION.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", default=os.path.expanduser("~/.cache/cairn-train/model.pt"))
    parser.add_argument("--out", default=os.path.join(REPO, "models", MODEL_ID))
    parser.add_argument("--catalog", default=None, help="default: catalog.json next to --out")
    parser.add_argument("--version", default=None)
    parser.add_argument("--fp16", action="store_true", help="store the weights as float16")
    parser.add_argument("--cairn", default=default_cairn(), help="the cairn command (default: build/*/tools/cli)")
    parser.add_argument("--slice", type=int, default=None, help="test vector slice index (default: the middle)")
    parser.add_argument("--skip-ort", action="store_true", help="do not check with ONNX Runtime")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    net, default_version, step = load_weights(args.weights)
    version = args.version or default_version
    if args.fp16:
        reference_fp32 = unet.build_model()
        reference_fp32.load_state_dict(net.state_dict())
        reference_fp32.eval()
        round_weights_to_fp16(net)
    os.makedirs(args.out, exist_ok=True)
    model_path = os.path.join(args.out, "model.onnx")
    model = export(net, model_path, version, args.fp16)
    size = os.path.getsize(model_path)
    print(f"export_onnx.py: {model_path} ({size:,} bytes), version {version}, weights {args.weights}")

    # The test vector and PyTorch's reference on it.
    hu, row_dir, sop_uid, index, count = demo_slice(args.slice)
    with torch.no_grad():
        x = dataset.normalize_hu(dataset.resample_to_model(torch.from_numpy(hu.astype(np.float32))[None]))
        model_probability = net(x)
        probability = dataset.resample_from_model(model_probability, *hu.shape)[0].numpy()
    model_probability = model_probability.numpy().astype(np.float64)
    mask = (probability > dataset.THRESHOLD).astype(np.uint8)
    depth, _ = reduction_depth(model, {INPUT_NAME: list(x.shape)})
    tau = 2.0 * U * depth * max(1.0, float(np.abs(model_probability).max()))
    checks = {"tolerance": tau, "depth": depth}
    if args.fp16:
        with torch.no_grad():
            p32 = dataset.resample_from_model(reference_fp32(x), *hu.shape)[0].numpy()
        checks["fp16_change"] = float(np.abs(p32 - probability).max())
        checks["fp16_agreement"] = float(np.mean((p32 > dataset.THRESHOLD) == (probability > dataset.THRESHOLD)))
        print(f"  float16 weights vs float32: max probability change {checks['fp16_change']:.2e}, "
              f"mask agreement {100 * checks['fp16_agreement']:.4f} %")
    if not args.skip_ort:
        checks["ort"] = check_with_onnx_runtime(model_path, x.numpy(), model_probability, tau)
    if args.cairn:
        checks["cairn"] = check_with_cairn(args.cairn, model_path, x.numpy(), model_probability, tau)
    else:
        print("  cairn: no build found (give --cairn); not checked")

    vector_dir = os.path.join(args.out, "test_vector")
    os.makedirs(vector_dir, exist_ok=True)
    np.save(os.path.join(vector_dir, "hu.npy"), hu)
    np.save(os.path.join(vector_dir, "mask.npy"), mask)
    stored = model_probability[0, 0].astype(np.float16)
    np.save(os.path.join(vector_dir, "model_probability.npy"), stored)
    # The stored probability is rounded to float16: half an ulp of [0.5, 1) is 2^-12.
    vector = {
        "source": "demo/LIDC-IDRI-0001.tar.xz (LIDC-IDRI, CC BY 3.0)",
        "sop_instance_uid": sop_uid, "slice_index": index, "slice_count": count,
        "rows": int(hu.shape[0]), "cols": int(hu.shape[1]), "row_direction": [float(v) for v in row_dir],
        "model_sha256": sha256(model_path),
        "weights": os.path.basename(args.weights), "version": version,
        "probability_tolerance": tau + 2.0 ** -12,
        "tolerance_derivation": f"2 u D max(1,|y|) with D = {depth} (tests/models/compare.py) for the network, "
                                "plus 2^-12 for the float16 storage of model_probability.npy",
        "min_mask_agreement": 0.999,
        "foreground_pixels": int(mask.sum()),
    }
    with open(os.path.join(vector_dir, "vector.json"), "w") as f:
        json.dump(vector, f, indent=1)
        f.write("\n")
    vector_bytes = sum(os.path.getsize(os.path.join(vector_dir, n)) for n in os.listdir(vector_dir))
    print(f"  test vector: slice {index} of {count}, {mask.sum():,} foreground pixels, {vector_bytes:,} bytes")
    if vector_bytes > 1 << 20:
        raise SystemExit("export_onnx.py: the test vector is over 1 MiB")

    digest = sha256(model_path)
    write_card(os.path.join(args.out, "MODEL_CARD.md"), version, step, args.fp16, size, digest, checks, vector)
    catalog_path = args.catalog or os.path.join(os.path.dirname(os.path.abspath(args.out)), "catalog.json")
    folder = os.path.relpath(os.path.abspath(args.out), os.path.dirname(catalog_path))
    update_catalog(catalog_path, {
        "id": MODEL_ID,
        "name": NAME,
        "version": version,
        "description": DESCRIPTION,
        "task": "segmentation",
        "file": f"{folder}/model.onnx",
        "sha256": digest,
        "size": size,
        "parameters": unet.PAPER_PARAMETER_COUNT,
        "input": {"name": INPUT_NAME, "shape": [1, 1, dataset.MODEL_SIZE, dataset.MODEL_SIZE], "modality": "CT"},
        "card": f"{folder}/MODEL_CARD.md",
        # A training checkpoint rather than the recipe's final weights (the viewer says so). How to segment is in
        # the model's own metadata, not in the catalog: one source of truth.
        "development": step is not None,
    })
    print(f"  catalog: {catalog_path}")


if __name__ == "__main__":
    main()
