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
    return f"onnx {onnx.__version__}\nnumpy {np.__version__}\n"


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
    count = len([d for d in os.listdir(node_dir) if os.path.isfile(os.path.join(node_dir, d, "model.onnx"))])
    with open(os.path.join(tmpdir, STAMP), "w") as f:
        f.write(stamp_text())
    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    os.rename(tmpdir, outdir)
    print(f"generate.py: wrote {count} node test cases into {node_dir.replace(tmpdir, outdir)} "
          f"in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
