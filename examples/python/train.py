#!/usr/bin/env python3
"""A training loop over an ImageStash shard set (a folder or s3://BUCKET/PREFIX) or store, one process per rank.

    python3 train.py photos-shards/ --epochs 2                      # one process
    torchrun --nproc_per_node 2 train.py s3://datasets/photos       # DDP: every rank gets the same number of batches

A small CNN on RandomResizedCrop(64) crops; the point is the data path: `ShardDataset` gives each rank
⌈samples / world⌉ samples per epoch in the C# loader's order, so DDP never waits on a rank that ran out, and
`state_dict`/`load_state_dict` resume mid-epoch (saved here every 50 batches to CHECKPOINT).
"""
import argparse
import json
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms

from imagestash.torch import ShardDataset, StoreDataset


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checkpoint", default="train-state.json")
    args = parser.parse_args()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")
    augment = transforms.Compose([transforms.RandomResizedCrop(64), transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    shards = os.path.exists(os.path.join(args.data, "index.json")) or args.data.startswith("s3://")
    if shards:
        data = ShardDataset(args.data, transform=augment, rank=rank, world_size=world, seed=1, batch_size=args.batch)
        if os.path.exists(args.checkpoint):
            with open(args.checkpoint) as f:
                data.load_state_dict(json.load(f))
        start = data.epoch
    else:
        data, start = StoreDataset(args.data, transform=augment), 0
    classes = max(len(data.class_names), 1)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, classes))
    if world > 1:
        model = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for epoch in range(start, args.epochs):
        if shards:
            data.set_epoch(epoch)
            loader = DataLoader(data, batch_size=args.batch, num_workers=args.workers)
        else:
            loader = DataLoader(data, batch_size=args.batch, shuffle=True, num_workers=args.workers)
        for batch, (images, labels) in enumerate(loader):
            loss = nn.functional.cross_entropy(model(images), labels % classes)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if shards and rank == 0 and (batch + 1) % 50 == 0:
                with open(args.checkpoint, "w") as f:
                    json.dump(data.state_dict(batches=batch + 1), f)
        print(f"rank {rank} epoch {epoch}: last loss {loss.item():.3f}")
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
