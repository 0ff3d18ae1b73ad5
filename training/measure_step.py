"""Measure the CPU cost of one U-Net training step (forward, backward, Adam) and of inference.

usage: python3 training/measure_step.py [--sizes 512 256] [--threads 1 2] [--batch 1] [--repeats 3]
Prints seconds per step and per image; the training budget in README.md comes from it.
"""
import argparse
import time

import torch

import model as unet


def measure(size: int, batch: int, repeats: int, channels_last: bool) -> tuple:
    torch.manual_seed(0)
    net = unet.build_model()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.randn(batch, 1, size, size)
    y = (torch.rand(batch, 1, size, size) > 0.5).float()
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    times = []
    for i in range(repeats + 1):  # the first step warms up allocators and kernels
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net.logits(x), y)
        loss.backward()
        optimizer.step()
        if i:
            times.append(time.perf_counter() - start)
    net.eval()
    with torch.no_grad():
        start = time.perf_counter()
        net(x[:1])
        infer = time.perf_counter() - start
    return min(times), infer


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 256])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--channels-last", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, batch {args.batch}, channels_last {args.channels_last}")
    print(f"{'size':>5} {'threads':>7} {'s/step':>7} {'s/image':>8} {'infer s/image':>14}")
    for size in args.sizes:
        for threads in args.threads:
            torch.set_num_threads(threads)
            step, infer = measure(size, args.batch, args.repeats, args.channels_last)
            print(f"{size:5d} {threads:7d} {step:7.2f} {step / args.batch:8.2f} {infer:14.2f}", flush=True)


if __name__ == "__main__":
    main()
