#!/usr/bin/env python3
"""The peer for the photo loader: what a PyTorch user runs on a folder of photos.

torchvision's ImageFolder + DataLoader(num_workers=2, batch_size=256, shuffle=True) with RandomResizedCrop(224),
RandomHorizontalFlip and PILToTensor (uint8), or with --float ToTensor + Normalize (ImageNet mean and std).
Prints images/s per epoch and the median of the epochs after the first (a warm-up, as `imagestash loader-bench`).

    /usr/bin/python3 benchmarks/photos/torchvision_peer.py /tmp/photos --epochs 4 [--float]

Debian: python3-torch python3-torchvision.
"""
import argparse
import statistics
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--float", action="store_true", help="ToTensor + Normalize instead of PILToTensor")
    args = parser.parse_args()
    last = [transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])] if args.float else [transforms.PILToTensor()]
    transform = transforms.Compose([transforms.RandomResizedCrop(args.size), transforms.RandomHorizontalFlip(), *last])
    dataset = datasets.ImageFolder(args.folder, transform=transform)
    loader = DataLoader(dataset, batch_size=args.batch, shuffle=True, num_workers=args.workers, persistent_workers=args.workers > 0)
    torch.manual_seed(0)
    rates = []
    for epoch in range(args.epochs):
        start = time.perf_counter()
        images = 0
        checksum = 0.0
        for batch, labels in loader:
            images += batch.shape[0]
            checksum += float(batch.view(-1)[-1])  # touch the batch as a training step would
        seconds = time.perf_counter() - start
        rates.append(images / seconds)
        print(f"epoch {epoch}{' (warm-up, not in the median)' if epoch == 0 and args.epochs > 1 else ''}: {images} images in {seconds:.3f} s - {images / seconds:.0f} images/s")
    timed = rates[1:] if len(rates) > 1 else rates
    kind = "float ToTensor+Normalize" if args.float else "uint8 PILToTensor"
    print(f"torchvision ImageFolder + DataLoader(num_workers={args.workers}, batch_size={args.batch}), RandomResizedCrop({args.size}) + flip, {kind}: "
          f"median {statistics.median(timed):.0f} images/s over {len(timed)} epoch(s)")


if __name__ == "__main__":
    main()
