#!/usr/bin/python3
"""End-to-end tests of the cairn command.

Usage: cli_test.py PATH/TO/cairn

Builds small ONNX models on the fly (onnx.helper), runs `cairn info/run/bench` on them and on broken inputs, and
checks outputs against NumPy and error messages against what went wrong. Prints "N passed, N failed".
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CAIRN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "cairn"
TIMEOUT_S = 120
passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}" + (f"\n    {detail}" if detail else ""), flush=True)


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __str__(self):
        return f"exit {self.rc}\n    stdout: {self.out[:600]!r}\n    stderr: {self.err[:600]!r}"


def cairn(*args):
    try:
        p = subprocess.run([CAIRN, *map(str, args)], capture_output=True, text=True, timeout=TIMEOUT_S,
                           errors="replace")
        return Result(p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired:
        return Result("timeout", "", "")


def no_crash(name, r):
    """Exit normally (not killed by a signal, no sanitizer report, no uncaught exception)."""
    ok = isinstance(r.rc, int) and 0 <= r.rc < 128
    for marker in ("Sanitizer", "runtime error:", "terminate called", "Segmentation", "Aborted"):
        ok = ok and marker not in r.err
    check(f"{name}: no crash or hang", ok, str(r))
    return ok


def expect_ok(name, r):
    no_crash(name, r)
    check(f"{name}: exit 0", r.rc == 0, str(r))


def expect_error(name, r, *keywords):
    """Exit 1, 'cairn: error: ' on stderr, and every keyword (case-insensitive) in the message."""
    if not no_crash(name, r):
        return
    check(f"{name}: exit 1", r.rc == 1, str(r))
    check(f"{name}: 'cairn: error: ' prefix", r.err.startswith("cairn: error: "), str(r))
    for k in keywords:
        check(f"{name}: message names '{k}'", k.lower() in r.err.lower(), str(r))


def expect_usage_error(name, r, *keywords):
    if not no_crash(name, r):
        return
    check(f"{name}: exit 2", r.rc == 2, str(r))
    check(f"{name}: 'cairn: usage error: ' prefix", r.err.startswith("cairn: usage error: "), str(r))
    check(f"{name}: hint to 'cairn help'", "cairn help" in r.err or "cairn --help" in r.err, str(r))
    for k in keywords:
        check(f"{name}: message names '{k}'", k.lower() in r.err.lower(), str(r))


# ---------------------------------------------------------------------------------------------------------------
# Models

def float_input(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def save(model, path):
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def make_model(graph, opset=13):
    model = helper.make_model(graph, producer_name="cairn-cli-test", producer_version="1.0",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


CONV_W = np.random.default_rng(1).standard_normal((16, 8, 3, 3)).astype(np.float32) * 0.3
CONV_B = np.random.default_rng(2).standard_normal(16).astype(np.float32) * 0.1
CONV_PARAMS = CONV_W.size + CONV_B.size  # 1,168


def conv_relu_model(input_dims, output_dims):
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"], name="relu1")]
    graph = helper.make_graph(nodes, "conv_relu", [float_input("x", input_dims)], [float_input("y", output_dims)],
                              initializer=[numpy_helper.from_array(CONV_W, "w"), numpy_helper.from_array(CONV_B, "b")])
    model = make_model(graph)
    helper.set_model_props(model, {"description": "conv relu test", "cairn.labels": "background,organ"})
    return model


def conv_relu_reference(x):
    n, _, h, w = x.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, 16, h, w))
    for kh in range(3):
        for kw in range(3):
            out += np.einsum("oc,nchw->nohw", CONV_W[:, :, kh, kw].astype(np.float64), xp[:, :, kh:kh + h, kw:kw + w])
    out += CONV_B.astype(np.float64)[None, :, None, None]
    return np.maximum(out, 0)


def add_model():
    nodes = [helper.make_node("Add", ["a", "b"], ["sum"], name="add"),
             helper.make_node("Relu", ["sum"], ["r"], name="relu")]
    graph = helper.make_graph(nodes, "add", [float_input("a", [2, 3]), float_input("b", [2, 3])],
                              [float_input("sum", [2, 3]), float_input("r", [2, 3])])
    return make_model(graph)


def unknown_op_model():
    nodes = [helper.make_node("FancyOp", ["x"], ["y"], name="fancy_node")]
    graph = helper.make_graph(nodes, "unknown", [float_input("x", [1, 4])], [float_input("y", [1, 4])])
    return make_model(graph)


def cycle_model():
    nodes = [helper.make_node("Relu", ["t2"], ["t1"], name="first"),
             helper.make_node("Relu", ["t1"], ["t2"], name="second"),
             helper.make_node("Add", ["x", "t2"], ["y"], name="add")]
    graph = helper.make_graph(nodes, "cycle", [float_input("x", [1, 4])], [float_input("y", [1, 4])])
    return make_model(graph)


def huge_input_model():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    graph = helper.make_graph(nodes, "huge", [float_input("x", [100000, 100000])], [float_input("y", [100000, 100000])])
    return make_model(graph)


# ---------------------------------------------------------------------------------------------------------------
# Tests

def test_help(tmp):
    r = cairn("--help")
    expect_ok("--help", r)
    check("--help lists the commands", all(c in r.out for c in ("info", "run", "bench")), str(r))
    r = cairn("--version")
    expect_ok("--version", r)
    check("--version prints the version", r.out.startswith("cairn "), str(r))
    for command in ("info", "run", "bench"):
        r = cairn("help", command)
        expect_ok(f"help {command}", r)
        check(f"help {command} shows its usage", f"cairn {command}" in r.out, str(r))
        r = cairn(command, "--help")
        expect_ok(f"{command} --help", r)
        check(f"{command} --help shows its usage", f"cairn {command}" in r.out, str(r))
    r = cairn("help", "bench")
    check("help bench documents the JSON keys", "median_ms" in r.out and "peak_rss_mb" in r.out, str(r))
    r = cairn("help", "run")
    check("help run documents the memory limit default", "4096" in r.out, str(r))


def test_usage_errors(tmp, conv):
    x = os.path.join(tmp, "x_usage.npy")
    np.save(x, np.zeros((1, 8, 32, 32), np.float32))
    out = os.path.join(tmp, "out_usage.npy")
    expect_usage_error("no arguments", cairn())
    expect_usage_error("unknown command", cairn("frobnicate"), "frobnicate")
    expect_usage_error("help for an unknown command", cairn("help", "frobnicate"), "frobnicate")
    expect_usage_error("info without a model", cairn("info"), "MODEL")
    expect_usage_error("info with an extra argument", cairn("info", conv, "extra"), "extra")
    expect_usage_error("unknown option", cairn("info", conv, "--fast"), "--fast")
    expect_usage_error("option without its value", cairn("bench", conv, "--runs"), "--runs")
    expect_usage_error("run with two positionals", cairn("run", conv, x), "OUT")
    expect_usage_error("run mixing forms", cairn("run", conv, x, out, "--input", f"x={x}"), "--input")
    expect_usage_error("run with --input but no --output", cairn("run", conv, "--input", f"x={x}"), "--output")
    for bad in ("0", "-1", "abc", "2x", "1000000"):
        expect_usage_error(f"run --threads {bad}", cairn("run", conv, x, out, "--threads", bad), "--threads")
    expect_usage_error("bench --threads 0", cairn("bench", conv, "--threads", "0"), "--threads")
    expect_usage_error("bench --runs 0", cairn("bench", conv, "--runs", "0"), "--runs")
    expect_usage_error("bench --runs -3", cairn("bench", conv, "--runs=-3"), "--runs")
    expect_usage_error("bench --warmup x", cairn("bench", conv, "--warmup", "x"), "--warmup")
    expect_usage_error("bench --memory-limit 0", cairn("bench", conv, "--memory-limit", "0"), "--memory-limit")
    expect_usage_error("bench --runs given twice", cairn("bench", conv, "--runs", "2", "--runs", "3"), "--runs")
    expect_usage_error("bad --shape syntax", cairn("info", conv, "--shape", "1x8xx32"), "shape")
    expect_usage_error("zero in --shape", cairn("bench", conv, "--shape", "1x8x0x32"), "shape")
    check("usage error writes nothing", not os.path.exists(out))


def test_info(tmp, conv, conv_dyn, add):
    r = cairn("info", conv)
    expect_ok("info conv", r)
    for text in ("ir_version: 8", "opset: 13", "cairn-cli-test", "x: float32 1x8x32x32", "y: float32 1x16x32x32",
                 "parameters: 1,168", "Conv: 1", "Relu: 1", "y: 1x16x32x32", "flops:", "weights", "activations",
                 "scratch", "description: conv relu test", "cairn.labels: background,organ"):
        check(f"info conv shows '{text}'", text in r.out, str(r))
    check("info conv shows the file size", f"{os.path.getsize(conv):,} bytes" in r.out, str(r))

    r = cairn("info", conv, "--json")
    expect_ok("info --json", r)
    try:
        info = json.loads(r.out)
    except ValueError as e:
        check("info --json is one JSON object", False, f"{e}: {r}")
        return
    macs = 8 * 9 * 16 * 32 * 32
    check("info --json parameter_count", info.get("parameter_count") == CONV_PARAMS, str(info))
    # Two FLOPs per multiply-add; bias and ReLU may add up to one more per output element each.
    flops = info.get("flops") or 0
    check("info --json flops", 2 * macs <= flops <= 2 * macs + 2 * 16 * 32 * 32, f"flops {flops}, macs {macs}")
    check("info --json operator_counts", info.get("operator_counts") == {"Conv": 1, "Relu": 1}, str(info))
    check("info --json output_shapes", info.get("output_shapes") == {"y": [1, 16, 32, 32]}, str(info))
    check("info --json metadata", info.get("metadata", {}).get("cairn.labels") == "background,organ", str(info))
    check("info --json inputs", info.get("inputs", [{}])[0].get("shape") == "1x8x32x32", str(info))
    for key in ("weight_bytes", "activation_bytes", "scratch_bytes", "ir_version", "opset", "producer", "size_bytes"):
        check(f"info --json has {key}", key in info, str(info))
    check("info text FLOPs agree with --json", f"{int(flops):,}" in cairn("info", conv).out)

    # Symbolic dimensions: no shape-dependent figures without --shape, then at the given shape.
    r = cairn("info", conv_dyn)
    expect_ok("info on a model with symbolic dims", r)
    check("info without a fixed shape declares N x 8 x H x W", "x: float32 N x 8 x H x W" in r.out, str(r))
    check("info without a fixed shape asks for --shape", "--shape" in r.out, str(r))
    r = cairn("info", conv_dyn, "--shape", "2x8x16x20")
    expect_ok("info --shape", r)
    check("info --shape gives the output shape", "y: 2x16x16x20" in r.out, str(r))
    r = cairn("info", conv_dyn, "--shape", "x=1x8x64x64", "--json")
    expect_ok("info --shape NAME= --json", r)
    check("info --shape NAME= output shape", json.loads(r.out or "{}").get("output_shapes") == {"y": [1, 16, 64, 64]},
          str(r))

    r = cairn("info", add, "--json")
    expect_ok("info on the two-input model", r)
    info = json.loads(r.out or "{}")
    check("two-input model: input shapes", info.get("input_shapes") == {"a": [2, 3], "b": [2, 3]}, str(info))
    check("two-input model: no parameters", info.get("parameter_count") == 0, str(info))
    r = cairn("info", add, "--shape", "a=2x3", "--shape", "b=2x3")
    expect_ok("info --shape for each of two inputs", r)

    expect_error("info --shape with the wrong rank", cairn("info", conv_dyn, "--shape", "1x8x32"), "rank")
    expect_error("info --shape with a wrong fixed dim", cairn("info", conv_dyn, "--shape", "1x3x32x32"),
                 "dimension 1")
    expect_error("info --shape for an unknown input", cairn("info", conv_dyn, "--shape", "z=1x8x8x8"), "'z'", "'x'")
    expect_error("info unnamed --shape on a two-input model", cairn("info", add, "--shape", "2x3"), "NAME=")


def test_run(tmp, conv, conv_dyn, add):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 8, 32, 32)).astype(np.float32)
    x_path = os.path.join(tmp, "x.npy")
    y_path = os.path.join(tmp, "y.npy")
    np.save(x_path, x)
    r = cairn("run", conv, x_path, y_path, "--threads", "2")
    expect_ok("run conv", r)
    check("run prints a summary line with shapes and time",
          "1x8x32x32" in r.err and "1x16x32x32" in r.err and "ms" in r.err and r.err.count("\n") == 1, str(r))
    if os.path.exists(y_path):
        y = np.load(y_path)
        expected = conv_relu_reference(x)
        check("run conv output dtype and shape", y.dtype == np.float32 and y.shape == (1, 16, 32, 32), str(y.shape))
        # 72 products per output of values of order 1: float32 accumulation error well under 1e-4.
        err = float(np.abs(y - expected).max()) if y.shape == expected.shape else float("inf")
        check("run conv output matches NumPy", err < 1e-4, f"max abs error {err}")
    else:
        check("run conv writes the output", False, str(r))

    for threads in ("1", "2"):
        y1 = os.path.join(tmp, f"y_dyn_{threads}.npy")
        x2 = rng.standard_normal((2, 8, 9, 13)).astype(np.float32)
        x2_path = os.path.join(tmp, "x2.npy")
        np.save(x2_path, x2)
        r = cairn("run", conv_dyn, x2_path, y1, "--threads", threads, "--quiet")
        expect_ok(f"run conv with symbolic dims at 2x8x9x13, {threads} threads", r)
        check("--quiet prints nothing", r.err == "" and r.out == "", str(r))
        if os.path.exists(y1):
            err = float(np.abs(np.load(y1) - conv_relu_reference(x2)).max())
            check(f"run at an odd shape matches NumPy ({threads} threads)", err < 1e-4, f"max abs error {err}")

    # Other input dtypes are converted to float32.
    x64_path = os.path.join(tmp, "x64.npy")
    np.save(x64_path, x.astype(np.float64))
    y64 = os.path.join(tmp, "y64.npy")
    expect_ok("run with a float64 input", cairn("run", conv, x64_path, y64, "--quiet"))
    if os.path.exists(y64) and os.path.exists(y_path):
        check("float64 input gives the same output", np.array_equal(np.load(y64), np.load(y_path)))

    # Two inputs, two outputs, only one written.
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((2, 3)).astype(np.float32)
    a_path, b_path = os.path.join(tmp, "a.npy"), os.path.join(tmp, "b.npy")
    np.save(a_path, a)
    np.save(b_path, b)
    out_dir = os.path.join(tmp, "add_out")
    os.mkdir(out_dir)
    r_path = os.path.join(out_dir, "r.npy")
    r = cairn("run", add, "--input", f"b={b_path}", "--input", f"a={a_path}", "--output", f"r={r_path}")
    expect_ok("run --input/--output", r)
    check("only the listed output is written", os.listdir(out_dir) == ["r.npy"], str(os.listdir(out_dir)))
    if os.path.exists(r_path):
        check("run add+relu output matches NumPy", np.allclose(np.load(r_path), np.maximum(a + b, 0), atol=1e-6))
    s_path = os.path.join(out_dir, "s.npy")
    r = cairn("run", add, "--input", f"a={a_path}", "--input", f"b={b_path}", "--output", f"sum={s_path}",
              "--output", f"r={r_path}")
    expect_ok("run writing two outputs", r)
    if os.path.exists(s_path):
        check("run add output matches NumPy", np.allclose(np.load(s_path), a + b, atol=1e-6))

    # Errors of run.
    expect_error("run: two-input model in the one-input form", cairn("run", add, a_path, r_path), "2 inputs", "--input")
    expect_error("run: unknown input name lists the valid ones",
                 cairn("run", add, "--input", f"zz={a_path}", "--input", f"b={b_path}", "--output", f"r={r_path}"),
                 "'zz'", "'a'", "'b'")
    expect_error("run: unknown output name lists the valid ones",
                 cairn("run", add, "--input", f"a={a_path}", "--input", f"b={b_path}", "--output", f"q={r_path}"),
                 "'q'", "'sum'", "'r'")
    expect_error("run: missing input",
                 cairn("run", add, "--input", f"a={a_path}", "--output", f"r={r_path}"), "missing", "'b'")
    expect_error("run: unnamed --input on a two-input model",
                 cairn("run", add, "--input", a_path, "--input", f"b={b_path}", "--output", f"r={r_path}"), "NAME=")
    wrong = os.path.join(tmp, "wrong.npy")
    np.save(wrong, np.zeros((1, 3, 32, 32), np.float32))
    expect_error("run: input shape does not fit the model", cairn("run", conv, wrong, y_path), "wrong.npy", "1x3x32x32",
                 "1x8x32x32")
    np.save(wrong, np.zeros((8, 32, 32), np.float32))
    expect_error("run: input rank does not fit the model", cairn("run", conv, wrong, y_path), "wrong.npy", "rank")
    np.save(wrong, np.zeros((1, 5, 9, 9), np.float32))
    expect_error("run: channel count does not fit the weights", cairn("run", conv_dyn, wrong, y_path), "wrong.npy")
    np.save(wrong, np.zeros((2, 4), np.float32))
    expect_error("run: add input of the wrong shape",
                 cairn("run", add, "--input", f"a={wrong}", "--input", f"b={b_path}", "--output", f"r={r_path}"),
                 "wrong.npy", "2x4")
    expect_error("run: output in a missing directory",
                 cairn("run", conv, x_path, os.path.join(tmp, "no_such_dir", "y.npy")), "no_such_dir")
    expect_error("run: output is a directory", cairn("run", conv, x_path, tmp), "directory")
    expect_error("run: missing input file", cairn("run", conv, os.path.join(tmp, "none.npy"), y_path), "none.npy")
    garbage = os.path.join(tmp, "garbage.npy")
    with open(garbage, "wb") as f:
        f.write(b"this is not a numpy file at all")
    expect_error("run: input is not a .npy file", cairn("run", conv, garbage, y_path), "garbage.npy", "magic")
    truncated = os.path.join(tmp, "truncated.npy")
    with open(x_path, "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[:len(data) - 100])
    expect_error("run: truncated .npy input", cairn("run", conv, truncated, y_path), "truncated.npy", "truncated")
    fortran = os.path.join(tmp, "fortran.npy")
    np.save(fortran, np.asfortranarray(x[0, 0]))
    expect_error("run: Fortran-order .npy input", cairn("run", conv_dyn, fortran, y_path), "fortran")
    big_endian = os.path.join(tmp, "big_endian.npy")
    np.save(big_endian, x.astype(">f4"))
    expect_error("run: big-endian .npy input", cairn("run", conv, big_endian, y_path), "big-endian")
    hostile = os.path.join(tmp, "hostile.npy")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }"
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    with open(hostile, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
    expect_error("run: .npy with a huge shape", cairn("run", conv_dyn, hostile, y_path), "hostile.npy", "limit")
    big = os.path.join(tmp, "big.npy")
    np.save(big, np.zeros((1, 8, 256, 256), np.float32))
    expect_error("run: input over --memory-limit", cairn("run", conv_dyn, big, y_path, "--memory-limit", "1"), "limit")


def test_bench(tmp, conv, conv_dyn, add):
    r = cairn("bench", conv, "--runs", "3", "--json", "--threads", "1")
    expect_ok("bench --json", r)
    try:
        report = json.loads(r.out)
        lines = r.out.strip().count("\n")
        check("bench --json prints one object", isinstance(report, dict) and lines == 0, r.out)
    except ValueError as e:
        check("bench --json is valid JSON", False, f"{e}: {r}")
        report = {}
    for key in ("median_ms", "min_ms", "gflops", "peak_rss_mb", "model", "shape", "threads", "runs", "flops"):
        check(f"bench --json has {key}", key in report, str(report))
    if report:
        check("bench --json values", report.get("runs") == 3 and report.get("threads") == 1 and
              report.get("shape") == "1x8x32x32" and 0 < report.get("min_ms", 0) <= report.get("median_ms", 0) and
              report.get("gflops", 0) > 0 and report.get("peak_rss_mb", 0) > 1, str(report))
    r = cairn("bench", conv_dyn, "--shape", "1x8x64x64", "--runs", "2", "--warmup", "0")
    expect_ok("bench text", r)
    for text in ("median:", "min:", "GFLOP/s", "peak memory:", "1x8x64x64"):
        check(f"bench text shows '{text}'", text in r.out, str(r))
    expect_ok("bench a two-input model", cairn("bench", add, "--runs", "2"))
    expect_error("bench without a shape for symbolic dims", cairn("bench", conv_dyn), "--shape")
    expect_error("bench over --memory-limit", cairn("bench", conv_dyn, "--shape", "1x8x512x512", "--memory-limit", "4"),
                 "limit")


def test_bad_models(tmp, conv):
    unknown = os.path.join(tmp, "unknown_op.onnx")
    save(unknown_op_model(), unknown)
    x = os.path.join(tmp, "x14.npy")
    np.save(x, np.ones((1, 4), np.float32))
    y = os.path.join(tmp, "y14.npy")
    for command in (("info", unknown), ("run", unknown, x, y), ("bench", unknown)):
        expect_error(f"{command[0]}: unknown operator", cairn(*command), "unknown_op.onnx", "FancyOp")

    truncated = os.path.join(tmp, "truncated.onnx")
    with open(conv, "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[:len(data) // 2])
    expect_error("info: truncated model", cairn("info", truncated), "truncated.onnx", "truncated")

    cycle = os.path.join(tmp, "cycle.onnx")
    save(cycle_model(), cycle)
    expect_error("info: model with a cycle", cairn("info", cycle), "cycle.onnx", "cycle")
    expect_error("run: model with a cycle", cairn("run", cycle, x, y), "cycle.onnx")

    huge = os.path.join(tmp, "huge.onnx")
    save(huge_input_model(), huge)
    expect_error("info: declared input of 100000x100000", cairn("info", huge), "huge.onnx", "limit")
    expect_error("bench: declared input of 100000x100000", cairn("bench", huge), "huge.onnx", "limit")

    noise = os.path.join(tmp, "noise.onnx")
    with open(noise, "wb") as f:
        f.write(random.Random(1234).randbytes(4096))
    for command in (("info", noise), ("run", noise, x, y), ("bench", noise)):
        expect_error(f"{command[0]}: random bytes as a model", cairn(*command), "noise.onnx")
    empty = os.path.join(tmp, "empty.onnx")
    open(empty, "wb").close()
    expect_error("info: empty file as a model", cairn("info", empty), "empty.onnx")

    missing = os.path.join(tmp, "missing.onnx")
    expect_error("info: nonexistent model", cairn("info", missing), "missing.onnx", "no such file")
    expect_error("run: nonexistent model", cairn("run", missing, x, y), "missing.onnx", "no such file")
    expect_error("info: a directory as the model", cairn("info", tmp), "directory")
    expect_error("bench: a directory as the model", cairn("bench", tmp), "directory")
    check("no output written by failed runs", not os.path.exists(y))


def main():
    if not os.path.exists(CAIRN):
        print(f"cairn binary not found: {CAIRN}")
        return 1
    tmp = tempfile.mkdtemp(prefix="cairn_cli_test_")
    try:
        conv = os.path.join(tmp, "conv_relu.onnx")
        save(conv_relu_model([1, 8, 32, 32], [1, 16, 32, 32]), conv)
        conv_dyn = os.path.join(tmp, "conv_relu_dynamic.onnx")
        save(conv_relu_model(["N", 8, "H", "W"], ["N", 16, "H", "W"]), conv_dyn)
        add = os.path.join(tmp, "add.onnx")
        save(add_model(), add)
        for model in (conv, conv_dyn, add):
            onnx.checker.check_model(onnx.load(model))
        test_help(tmp)
        test_usage_errors(tmp, conv)
        test_info(tmp, conv, conv_dyn, add)
        test_run(tmp, conv, conv_dyn, add)
        test_bench(tmp, conv, conv_dyn, add)
        test_bad_models(tmp, conv)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
