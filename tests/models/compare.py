#!/usr/bin/python3
"""Runs every case of the zoo with the `cairn` command and compares its output with ONNX Runtime's.

Usage: compare.py OUTDIR CAIRN_BINARY [--quick] [--only CASE ...]

The tolerance is derived from the arithmetic, not tuned:

* In float32 with round-to-nearest, every operation satisfies fl(a op b) = (a op b)(1 + d), |d| <= u = 2^-24.
  A sum of K products evaluated in any order (and any blocking, with or without FMA) then satisfies
  |fl(sum a_i b_i) - sum a_i b_i| <= gamma_K sum |a_i b_i|, gamma_K = K u / (1 - K u) ~ K u (Higham, Accuracy and
  Stability of Numerical Algorithms, 2nd ed., section 3.1).
* A network is a chain of such reductions: Conv (K = Cin/group x kernel volume), ConvTranspose (Cin/group x the
  kernel taps that reach one output, prod ceil(k/s)), Gemm and MatMul (the inner dimension), average pooling
  (the window, or H x W for GlobalAveragePool). To first order the rounding errors of successive layers add, each
  carried to the output at the scale of the values, so the error of an output is bounded by about
  u x (sum over the layers on its path of K_l) x scale.
* D = sum of K over all such nodes of the file is an upper bound on the sum along any path (parallel branches are
  counted twice, which only loosens it), and scale = max(1, max |reference|): activations of these models are of
  order one, and an output squashed by a sigmoid or softmax (Lipschitz <= 1) keeps an absolute error.
* ONNX Runtime and Cairn both carry such an error with respect to the exact result, in different summation orders,
  hence tau = 2 u D max(1, max |reference|) elementwise on |cairn - reference|.

This is a first-order bound, not a proof: it takes sum |a_i b_i| to be of the order of the output scale and ignores
the amplification of earlier errors by later weights, and a Winograd or FFT convolution adds a constant factor. In
exchange, the worst case K u is pessimistic by about sqrt(K) against the random-walk growth real summations show,
which is far more than these effects; the ratio max error / tau is printed for each case so that any drift shows
long before it fails. Elementwise operators (ReLU, Clip, max-pooling, Concat, Pad, Resize's 2-4 term blends,
BatchNorm folded or not) add a few u each, negligible against D u.

For a sigmoid output it also prints the fraction of pixels on which the masks thresholded at 0.5 agree (informative:
the pass criterion is the tolerance). Prints one line per case, then `N passed, M failed`; exits 1 on any failure.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

U = 2.0 ** -24  # unit roundoff of float32


def _attribute(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _known_shapes(model: onnx.ModelProto, input_shapes: dict) -> dict:
    """Static shapes of the initializers, and of the values ONNX shape inference resolves at these input shapes."""
    shapes = {t.name: list(t.dims) for t in model.graph.initializer}
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    for value in fixed.graph.input:
        if value.name in input_shapes:
            dims = value.type.tensor_type.shape.dim
            for dim, size in zip(dims, input_shapes[value.name]):
                dim.Clear()
                dim.dim_value = int(size)
    try:
        inferred = shape_inference.infer_shapes(fixed, data_prop=True)
    except Exception:  # noqa: BLE001 - shape inference is a convenience here, the weights carry the K that matters
        inferred = fixed
    for value in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        t = value.type.tensor_type
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            shapes.setdefault(value.name, [d.dim_value for d in t.shape.dim])
    return shapes


def reduction_depth(model: onnx.ModelProto, input_shapes: dict) -> tuple:
    """D = sum over the reducing nodes of their reduction length K; also returns the per-operator sums."""
    shapes = _known_shapes(model, input_shapes)
    per_op = {}

    def need(node, index):
        name = node.input[index]
        if name not in shapes:
            raise SystemExit(f"compare.py: cannot tell the shape of {node.op_type} '{node.name}' input '{name}'")
        return shapes[name]

    for node in model.graph.node:
        op = node.op_type
        k = 0
        if op == "Conv":
            k = math.prod(need(node, 1)[1:])  # weight M x C/group x kernel
        elif op == "ConvTranspose":
            w = need(node, 1)  # weight C x M/group x kernel
            group = _attribute(node, "group", 1)
            strides = _attribute(node, "strides", [1] * (len(w) - 2))
            k = w[0] // group * math.prod(-(-kk // s) for kk, s in zip(w[2:], strides))
        elif op == "Gemm":
            b = need(node, 1)
            k = b[1] if _attribute(node, "transB", 0) else b[0]
        elif op == "MatMul":
            b = need(node, 1)
            k = b[-2] if len(b) >= 2 else b[0]
        elif op == "AveragePool":
            k = math.prod(_attribute(node, "kernel_shape", []))
        elif op == "GlobalAveragePool" and node.input[0] in shapes:
            k = math.prod(shapes[node.input[0]][2:])
        if k:
            per_op[op] = per_op.get(op, 0) + k
    return sum(per_op.values()), per_op


def run_cairn(binary: str, outdir: str, case: dict, outputs: list) -> tuple:
    model = os.path.join(outdir, case["model"])
    if len(case["inputs"]) == 1 and len(outputs) == 1:
        args = [binary, "run", model, os.path.join(outdir, case["inputs"][0]["file"]), outputs[0][1]]
    else:
        args = [binary, "run", model]
        for i in case["inputs"]:
            args += ["--input", f"{i['name']}={os.path.join(outdir, i['file'])}"]
        for name, path in outputs:
            args += ["--output", f"{name}={path}"]
    start = time.time()
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800)
    return proc.returncode, proc.stdout, time.time() - start, args


def compare_case(outdir: str, binary: str, case: dict) -> bool:
    name = case["name"]
    model = onnx.load(os.path.join(outdir, case["model"]))
    depth, per_op = reduction_depth(model, {i["name"]: i["shape"] for i in case["inputs"]})
    single = len(case["outputs"]) == 1
    outputs = [(o["name"], os.path.join(outdir, f"cairn_{name}.npy" if single else f"cairn_{name}.{k}.npy"))
               for k, o in enumerate(case["outputs"])]
    for _, path in outputs:
        if os.path.exists(path):
            os.remove(path)
    rc, log, seconds, args = run_cairn(binary, outdir, case, outputs)
    if rc != 0:
        print(f"FAIL  {name:24s} cairn exited with {rc} after {seconds:.1f} s: {' '.join(args)}")
        print("      " + "\n      ".join(log.strip().splitlines()[-10:]))
        return False

    ok = True
    for k, (out, (_, path)) in enumerate(zip(case["outputs"], outputs)):
        label = name if single else f"{name}[{out['name']}]"
        expected_file = os.path.join(outdir, f"expected_{name}.npy" if single else f"expected_{name}.{k}.npy")
        if not os.path.exists(expected_file):
            print(f"FAIL  {label:24s} no ONNX Runtime reference {expected_file} (run ort_reference.mjs)")
            ok = False
            continue
        if not os.path.exists(path):
            print(f"FAIL  {label:24s} cairn exited 0 but wrote no {path}")
            ok = False
            continue
        ref = np.load(expected_file)
        got = np.load(path)
        shape = "x".join(map(str, ref.shape))
        if got.dtype != np.float32 or got.shape != ref.shape:
            print(f"FAIL  {label:24s} cairn gave {got.dtype} {'x'.join(map(str, got.shape))}, "
                  f"ONNX Runtime float32 {shape}")
            ok = False
            continue
        ref64 = ref.astype(np.float64)
        got64 = got.astype(np.float64)
        nan_mismatch = int(np.count_nonzero(np.isnan(ref64) != np.isnan(got64)))
        finite = ~(np.isnan(ref64) | np.isnan(got64))
        error = float(np.max(np.abs(got64[finite] - ref64[finite]), initial=0.0))
        scale = max(1.0, float(np.max(np.abs(ref64[finite]), initial=0.0)))
        tau = 2.0 * U * depth * scale
        passed = nan_mismatch == 0 and error <= tau
        detail = (f"{shape:13s} max|err| {error:.2e}  tau {tau:.2e} (D {depth}, scale {scale:.3g})  "
                  f"ratio {error / tau:.4f}")
        if out.get("activation") == "sigmoid":
            agree = float(np.mean((got > 0.5) == (ref > 0.5)))
            detail += f"  mask agreement {100 * agree:.3f}%"
        if nan_mismatch:
            detail += f"  NaN mismatch at {nan_mismatch} elements"
        if not passed and error > tau:
            worst = np.unravel_index(int(np.argmax(np.where(finite, np.abs(got64 - ref64), -1))), ref.shape)
            detail += f"  worst at {list(map(int, worst))}: cairn {got[worst]:.7g}, ORT {ref[worst]:.7g}"
        print(f"{'PASS' if passed else 'FAIL'}  {label:24s} {detail}  ({seconds:.2f} s)")
        ok = ok and passed
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    parser.add_argument("cairn_binary")
    parser.add_argument("--quick", action="store_true", help="only the cases of the quick set (no 512x512 U-Net)")
    parser.add_argument("--only", nargs="*", default=None, help="only these cases")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("CAIRN_ZOO_QUICK", "") not in ("", "0")

    with open(os.path.join(args.outdir, "manifest.json")) as f:
        cases = json.load(f)["cases"]
    if quick:
        cases = [c for c in cases if c.get("quick", True)]
    if args.only:
        unknown = set(args.only) - {c["name"] for c in cases}
        if unknown:
            print(f"compare.py: no such case(s): {', '.join(sorted(unknown))}")
            return 2
        cases = [c for c in cases if c["name"] in args.only]
    binary = os.path.abspath(args.cairn_binary)
    if not os.access(binary, os.X_OK):
        print(f"compare.py: {binary} is not an executable (build the `cairn` target)")
        return 2

    passed = failed = 0
    for case in cases:
        try:
            ok = compare_case(args.outdir, binary, case)
        except subprocess.TimeoutExpired:
            print(f"FAIL  {case['name']:24s} cairn did not finish within the time limit")
            ok = False
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
