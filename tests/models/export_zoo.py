#!/usr/bin/python3
"""Exports the whole-model test zoo: small CNNs with random (untrained) weights, as ONNX, with one input per case.

Usage: export_zoo.py OUTDIR

Writes OUTDIR/<model>.onnx, OUTDIR/<case>.input.npy (float32, C order), OUTDIR/torch_<case>.npy (PyTorch's own
output, a sanity check for the export) and OUTDIR/manifest.json. Everything is seeded and runs on the CPU on one
thread, so two exports give the same files. Cases marked "quick": false (the 512x512 U-Net) are skipped by
compare.py --quick, which the sanitizer build uses.

The architectures cover what the engine must run: the paper's U-Net (ConvTranspose, Concat, Sigmoid), a U-Net with
BatchNorm and bilinear upsampling at odd sizes (Shape/Gather/Concat subgraphs, Resize with sizes, Pad from shapes),
a ResNet (strided 7x7 stem, MaxPool with padding, projection shortcuts, GlobalAveragePool, Gemm, Softmax), a
MobileNet (depthwise convolutions, Clip, LeakyRelu) and a 3-D U-Net. Opsets vary (9, 11, 13, 17), and so do static
and dynamic input shapes.
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

# The paper's model (Jodogne, client-side deep learning) has exactly this many parameters.
UNET_PAPER_PARAMETERS = 7_759_521


# ---------------------------------------------------------------------------------------------- architectures

def conv3x3_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True))


class UNetPaper(nn.Module):
    """The paper's U-Net: 32-64-128-256 encoder, 512 bottleneck, transposed-convolution decoder, sigmoid mask."""

    def __init__(self, filters=(32, 64, 128, 256), bottleneck=512):
        super().__init__()
        self.down = nn.ModuleList()
        cin = 1
        for f in filters:
            self.down.append(nn.Sequential(conv3x3_relu(cin, f), conv3x3_relu(f, f)))
            cin = f
        self.bottleneck = nn.Sequential(conv3x3_relu(cin, bottleneck), conv3x3_relu(bottleneck, bottleneck))
        cin = bottleneck
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for f in reversed(filters):
            self.up.append(nn.ConvTranspose2d(cin, f, 2, stride=2))
            self.dec.append(nn.Sequential(conv3x3_relu(2 * f, f), conv3x3_relu(f, f)))
            cin = f
        self.head = nn.Conv2d(cin, 1, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], dim=1))
        return torch.sigmoid(self.head(x))


def conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNetBnBilinear(nn.Module):
    """A small U-Net with BatchNorm and bilinear upsampling that works at odd sizes.

    Three ways back up, one per level: a fixed x2 upsampling (align_corners=False) padded to the skip's size,
    an interpolation to the skip's size with align_corners=True, and one with align_corners=False.
    """

    def __init__(self, filters=(16, 24, 32, 48)):
        super().__init__()
        f0, f1, f2, f3 = filters
        self.enc0 = nn.Sequential(conv_bn_relu(1, f0), conv_bn_relu(f0, f0))
        self.enc1 = nn.Sequential(conv_bn_relu(f0, f1), conv_bn_relu(f1, f1))
        self.enc2 = nn.Sequential(conv_bn_relu(f1, f2), conv_bn_relu(f2, f2))
        self.bottom = nn.Sequential(conv_bn_relu(f2, f3), conv_bn_relu(f3, f3))
        self.upsample2 = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.dec2 = conv_bn_relu(f3 + f2, f2)
        self.dec1 = conv_bn_relu(f2 + f1, f1)
        self.dec0 = conv_bn_relu(f1 + f0, f0)
        self.head = nn.Conv2d(f0, 1, 1)

    def forward(self, x):
        s0 = self.enc0(x)
        s1 = self.enc1(F.max_pool2d(s0, 2))
        s2 = self.enc2(F.max_pool2d(s1, 2))
        x = self.bottom(F.max_pool2d(s2, 2))
        # Fixed x2 upsampling, then zero padding up to the skip's (odd) size: Pad with amounts computed from shapes.
        x = self.upsample2(x)
        dh = s2.shape[2] - x.shape[2]
        dw = s2.shape[3] - x.shape[3]
        x = F.pad(x, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])
        x = self.dec2(torch.cat([x, s2], dim=1))
        x = F.interpolate(x, size=s1.shape[2:], mode="bilinear", align_corners=True)
        x = self.dec1(torch.cat([x, s1], dim=1))
        x = F.interpolate(x, size=s0.shape[2:], mode="bilinear", align_corners=False)
        x = self.dec0(torch.cat([x, s0], dim=1))
        return torch.sigmoid(self.head(x))


class ResidualBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNetSmall(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(24),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1))
        self.blocks = nn.Sequential(ResidualBlock(24, 24, 1), ResidualBlock(24, 48, 2), ResidualBlock(48, 48, 1),
                                    ResidualBlock(48, 96, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(96, classes)

    def forward(self, x):
        x = self.pool(self.blocks(self.stem(x)))
        return F.softmax(self.fc(torch.flatten(x, 1)), dim=1)


class DepthwiseSeparable(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, leaky: bool):
        super().__init__()
        self.depthwise = nn.Sequential(nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
                                       nn.BatchNorm2d(cin), nn.ReLU6(inplace=True))
        self.pointwise = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.activation = nn.LeakyReLU(0.1) if leaky else nn.Identity()

    def forward(self, x):
        return self.activation(self.pointwise(self.depthwise(x)))


class MobileNetSmall(nn.Module):
    def __init__(self, classes=7):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU6(inplace=True))
        self.blocks = nn.Sequential(DepthwiseSeparable(16, 24, 1, leaky=False), DepthwiseSeparable(24, 32, 2, True),
                                    DepthwiseSeparable(32, 32, 1, leaky=False), DepthwiseSeparable(32, 64, 2, True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.pool(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


def conv3d_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))


class UNet3dSmall(nn.Module):
    def __init__(self, filters=(8, 16, 32), classes=2):
        super().__init__()
        f0, f1, f2 = filters
        self.enc0 = nn.Sequential(conv3d_bn_relu(1, f0), conv3d_bn_relu(f0, f0))
        self.enc1 = nn.Sequential(conv3d_bn_relu(f0, f1), conv3d_bn_relu(f1, f1))
        self.bottom = nn.Sequential(conv3d_bn_relu(f1, f2), conv3d_bn_relu(f2, f2))
        self.up1 = nn.ConvTranspose3d(f2, f1, 2, stride=2)
        self.dec1 = nn.Sequential(conv3d_bn_relu(2 * f1, f1), conv3d_bn_relu(f1, f1))
        self.up0 = nn.ConvTranspose3d(f1, f0, 2, stride=2)
        self.dec0 = nn.Sequential(conv3d_bn_relu(2 * f0, f0), conv3d_bn_relu(f0, f0))
        self.head = nn.Conv3d(f0, classes, 1)

    def forward(self, x):
        s0 = self.enc0(x)
        s1 = self.enc1(F.max_pool3d(s0, 2))
        x = self.bottom(F.max_pool3d(s1, 2))
        x = self.dec1(torch.cat([self.up1(x), s1], dim=1))
        x = self.dec0(torch.cat([self.up0(x), s0], dim=1))
        return self.head(x)


# ---------------------------------------------------------------------------------------------- the zoo

# Each model: its constructor, seed, opset, the dynamic axes of its input and output (None: static shapes), the
# activation of its output, whether BatchNormalization nodes stay in the file (PyTorch otherwise folds them into
# the preceding Conv at export; keeping them exercises the engine's own folding), and its cases (case name, input
# shape, part of the quick set). The cases of a model share one ONNX file.
DYN_BHW = {0: "batch", 2: "height", 3: "width"}
MODELS = {
    "unet_paper": dict(
        make=UNetPaper, seed=1, opset=13, dynamic_in=DYN_BHW, dynamic_out=DYN_BHW, activation="sigmoid", cases=[
            ("unet_paper_512", (1, 1, 512, 512), False),
            ("unet_paper_96x160", (1, 1, 96, 160), True),
            ("unet_paper_odd_208x48", (1, 1, 208, 48), True),  # valid: multiples of 16 (four 2x2 poolings)
        ]),
    "unet_bn_bilinear": dict(
        make=UNetBnBilinear, seed=2, opset=11, dynamic_in={2: "height", 3: "width"},
        dynamic_out={2: "height", 3: "width"}, activation="sigmoid", keep_batchnorm=True, cases=[
            ("unet_bn_bilinear_75x93", (1, 1, 75, 93), True),
        ]),
    "resnet_small": dict(
        make=ResNetSmall, seed=3, opset=17, dynamic_in=None, dynamic_out=None, activation="softmax", cases=[
            ("resnet_small", (2, 3, 67, 61), True),
        ]),
    "mobilenet_small": dict(
        make=MobileNetSmall, seed=4, opset=13, dynamic_in={0: "batch"}, dynamic_out={0: "batch"}, activation=None,
        cases=[
            ("mobilenet_small", (1, 3, 57, 71), True),
        ]),
    # The same network at opset 9: Clip with min/max attributes, the older Flatten/Gemm/BatchNormalization.
    "mobilenet_small_opset9": dict(
        make=MobileNetSmall, seed=4, opset=9, dynamic_in=None, dynamic_out=None, activation=None, cases=[
            ("mobilenet_small_opset9", (1, 3, 57, 71), True),
        ]),
    "unet3d_small": dict(
        make=UNet3dSmall, seed=5, opset=17, dynamic_in=None, dynamic_out=None, activation=None, keep_batchnorm=True,
        cases=[
            ("unet3d_small", (1, 1, 12, 20, 28), True),
        ]),
}


def randomize(model: nn.Module, generator: torch.Generator) -> None:
    """Random weights that keep activations of order one through depth, and non-trivial BatchNorm statistics."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d, nn.Linear)):
                if isinstance(m, (nn.ConvTranspose2d, nn.ConvTranspose3d)):
                    # weight is Cin x Cout/groups x kernel; each output sums Cin/groups x kernel/stride products
                    fan_in = m.weight.shape[0] // m.groups * m.weight[0, 0].numel() // int(np.prod(m.stride))
                else:
                    fan_in = m.weight[0].numel()  # Cin/groups x kernel, or in_features
                gain = 1.0 if isinstance(m, nn.Linear) else 2.0  # He for layers followed by ReLU, else Xavier-like
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * np.sqrt(gain / fan_in))
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=generator) * 0.5)
                m.running_var.copy_(torch.rand(c, generator=generator) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(c, generator=generator) * 0.2)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def export_model(name: str, outdir: str) -> list:
    spec = MODELS[name]
    cases = spec["cases"]
    torch.manual_seed(spec["seed"])
    generator = torch.Generator().manual_seed(spec["seed"])
    model = spec["make"]()
    randomize(model, generator)
    model.eval()
    params = parameter_count(model)
    if name == "unet_paper" and params != UNET_PAPER_PARAMETERS:
        raise SystemExit(f"unet_paper has {params} parameters, the paper's U-Net has {UNET_PAPER_PARAMETERS}")

    model_file = f"{name}.onnx"
    model_path = os.path.join(outdir, model_file)
    example = torch.randn(spec["cases"][0][1], generator=generator)
    dynamic_axes = None
    if spec["dynamic_in"] is not None:
        dynamic_axes = {"input": spec["dynamic_in"], "output": spec["dynamic_out"]}
    # TrainingMode.PRESERVE on a model in eval mode exports inference BatchNormalization nodes as they are;
    # TrainingMode.EVAL folds them into the convolutions.
    training = torch.onnx.TrainingMode.PRESERVE if spec.get("keep_batchnorm") else torch.onnx.TrainingMode.EVAL
    with torch.no_grad():
        torch.onnx.export(model, example, model_path, opset_version=spec["opset"], input_names=["input"],
                          output_names=["output"], dynamic_axes=dynamic_axes, training=training,
                          do_constant_folding=True)
    proto = onnx.load(model_path)
    onnx.checker.check_model(proto)
    op_types = sorted({n.op_type for n in proto.graph.node})

    entries = []
    for case_name, shape, in_quick_set in cases:
        # Each input from its own seed, so that adding a case changes no other.
        index = [c[0] for c in spec["cases"]].index(case_name)
        x = torch.randn(shape, generator=torch.Generator().manual_seed(1000 * spec["seed"] + index))
        with torch.no_grad():
            y = model(x)
        input_file = f"{case_name}.input.npy"
        np.save(os.path.join(outdir, input_file), np.ascontiguousarray(x.numpy(), dtype=np.float32))
        np.save(os.path.join(outdir, f"torch_{case_name}.npy"), np.ascontiguousarray(y.numpy(), dtype=np.float32))
        entries.append({
            "name": case_name,
            "model": model_file,
            "opset": spec["opset"],
            "ir_version": proto.ir_version,
            "parameters": params,
            "dynamic_shapes": dynamic_axes is not None,
            "operators": op_types,
            "quick": in_quick_set,
            "inputs": [{"name": "input", "file": input_file, "shape": list(shape)}],
            "outputs": [{"name": "output", "shape": list(y.shape), "activation": spec["activation"]}],
        })
        print(f"  {case_name:24s} input {'x'.join(map(str, shape)):13s} output {'x'.join(map(str, y.shape)):13s} "
              f"opset {spec['opset']:2d}  ir {proto.ir_version}  params {params:,}  ops {' '.join(op_types)}")
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    # The exporter's advice about constant folding in training-amenable mode does not apply to models in eval mode,
    # and its shape-inference notes concern its own annotations, which the engine does not use.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")

    manifest_path = os.path.join(args.outdir, "manifest.json")
    if os.path.exists(manifest_path):
        os.remove(manifest_path)  # written last: its presence means the export is complete
    cases = []
    for name in MODELS:
        cases += export_model(name, args.outdir)
    with open(manifest_path, "w") as f:
        json.dump({"generator": "tests/models/export_zoo.py", "torch": torch.__version__, "onnx": onnx.__version__,
                   "cases": cases}, f, indent=2)
        f.write("\n")
    print(f"export_zoo.py: {len(cases)} cases in {manifest_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
