"""One rank of the DDP test (test_torch.py): `python ddp_rank.py SET RANK WORLD PORT OUT.json`. Joins a gloo group on
127.0.0.1, reads its ShardDataset through a DataLoader(num_workers=2), all-reduces once per batch as a training step
does, and writes the ids it saw. A rank with fewer batches would leave the others blocked in all_reduce: the group's
timeout turns that into a failure instead of a hang."""
import datetime
import json
import sys

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

from imagestash.torch import ShardDataset


def main():
    path, rank, world, port, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=60))
    data = ShardDataset(path, rank=rank, world_size=world, seed=11, batch_size=8, with_ids=True, as_array=True)
    seen, steps = [], 0
    for epoch in range(2):
        data.set_epoch(epoch)
        for images, labels, ids in DataLoader(data, batch_size=8, num_workers=2):
            total = torch.tensor([float(images.float().mean()), 1.0])
            dist.all_reduce(total)  # the gradient all-reduce of a training step
            seen.append([epoch, [int(i) for i in ids]])
            steps += 1
    count = torch.tensor([steps])
    dist.all_reduce(count, op=dist.ReduceOp.MAX)
    dist.destroy_process_group()
    with open(out, "w") as f:
        json.dump({"steps": steps, "max_steps": int(count), "batches": seen}, f)


if __name__ == "__main__":
    main()
