#!/usr/bin/python3
"""Writes ONNX's own backend node test cases (model.onnx + TensorProto inputs/outputs) into a directory.

Usage: generate.py [OUTDIR]   (default: build/onnx-node-tests)

Runs `onnx.backend.test.cmd_tools generate-data -o OUTDIR` in-process. Debian's onnx 1.12 predates NumPy 1.24,
which removed the deprecated scalar aliases (np.float, np.int, ...) some case generators still use, so they are
restored first. The cases are written to a temporary sibling directory and moved into place, then a stamp file
records completion: a second call with a complete directory returns at once.
"""
import argparse
import os
import shutil
import sys
import time

import numpy as np

STAMP = ".generated"


def restore_numpy_aliases() -> None:
    aliases = {"float": float, "int": int, "bool": bool, "object": object, "complex": complex, "str": str,
               "long": int, "unicode": str}
    for name, value in aliases.items():
        if name not in np.__dict__:
            setattr(np, name, value)


def stamp_text() -> str:
    import onnx
    return f"onnx {onnx.__version__}\nnumpy {np.__version__}\nfrozen-parameter variants 1\n"


# Inputs that are parameters of their operator rather than data: shapes, axes, pads, sizes, scales, roi...
# ONNX's node tests feed them as graph inputs, but the models Cairn runs carry them as initializers (the engine
# folds them at load and takes float32 data only at run time). For each case with such inputs, a variant
# `<case>_frozen_params` moves them into initializers, so the operator itself is still tested.
def is_parameter_input(model, name: str) -> bool:
    import onnx
    elem = {i.name: i.type.tensor_type.elem_type for i in model.graph.input}
    integer = elem.get(name) in (onnx.TensorProto.INT64, onnx.TensorProto.INT32)
    for node in model.graph.node:
        for position, used in enumerate(node.input):
            if used != name or position == 0:
                continue
            if integer or node.op_type in ("Resize", "Upsample"):
                return True
    return False


def write_frozen_variants(node_dir: str) -> int:
    import onnx
    from onnx import numpy_helper
    written = 0
    for case in sorted(os.listdir(node_dir)):
        case_dir = os.path.join(node_dir, case)
        model_path = os.path.join(case_dir, "model.onnx")
        if not os.path.isfile(model_path) or case.endswith("_frozen_params"):
            continue
        model = onnx.load(model_path)
        inputs = [i.name for i in model.graph.input]
        frozen = [k for k, name in enumerate(inputs) if is_parameter_input(model, name)]
        if not frozen or len(frozen) == len(inputs):
            continue
        data_sets = sorted(d for d in os.listdir(case_dir) if d.startswith("test_data_set_"))
        values = {}
        consistent = True
        for k in frozen:
            tensors = []
            for d in data_sets:
                t = onnx.TensorProto()
                with open(os.path.join(case_dir, d, f"input_{k}.pb"), "rb") as f:
                    t.ParseFromString(f.read())
                tensors.append(numpy_helper.to_array(t))
            consistent &= all(np.array_equal(tensors[0], x) for x in tensors[1:])
            values[k] = tensors[0]
        if not consistent:
            continue
        for k in frozen:
            model.graph.initializer.append(numpy_helper.from_array(values[k], inputs[k]))
        kept = [k for k in range(len(inputs)) if k not in frozen]
        kept_inputs = [model.graph.input[k] for k in kept]
        del model.graph.input[:]
        model.graph.input.extend(kept_inputs)
        out_dir = os.path.join(node_dir, case + "_frozen_params")
        os.makedirs(out_dir)
        onnx.save(model, os.path.join(out_dir, "model.onnx"))
        for d in data_sets:
            os.makedirs(os.path.join(out_dir, d))
            for new_index, k in enumerate(kept):
                shutil.copy(os.path.join(case_dir, d, f"input_{k}.pb"), os.path.join(out_dir, d, f"input_{new_index}.pb"))
            for name in os.listdir(os.path.join(case_dir, d)):
                if name.startswith("output_"):
                    shutil.copy(os.path.join(case_dir, d, name), os.path.join(out_dir, d, name))
        written += 1
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default=os.path.join("build", "onnx-node-tests"))
    args = parser.parse_args()
    outdir = os.path.abspath(args.outdir)
    stamp = os.path.join(outdir, STAMP)

    restore_numpy_aliases()
    import onnx.backend.test.cmd_tools as cmd_tools

    if os.path.isfile(stamp):
        with open(stamp) as f:
            if f.read() == stamp_text():
                print(f"generate.py: {outdir} is complete (stamp {STAMP}), nothing to do")
                return 0

    tmpdir = outdir + ".tmp"
    if os.path.exists(tmpdir):
        shutil.rmtree(tmpdir)
    start = time.time()
    cmd_tools.generate_data(argparse.Namespace(output=tmpdir, op_type=None))
    node_dir = os.path.join(tmpdir, "node")
    frozen = write_frozen_variants(node_dir)
    count = len([d for d in os.listdir(node_dir) if os.path.isfile(os.path.join(node_dir, d, "model.onnx"))])
    with open(os.path.join(tmpdir, STAMP), "w") as f:
        f.write(stamp_text())
    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    os.rename(tmpdir, outdir)
    print(f"generate.py: wrote {count} node test cases ({frozen} of them variants with frozen parameters) into "
          f"{node_dir.replace(tmpdir, outdir)} "
          f"in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
