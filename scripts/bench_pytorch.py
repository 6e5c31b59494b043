#!/usr/bin/python3
"""The hand-written PyTorch loop that `unified bench` compares `unified fit --threads 1` against.

Same data (the bundled digits: first 8,000 train, last 2,000 validate, pixels / 255), same model (784-256-10 MLP,
ReLU), Adam, batch 64, the same batch-order rule (each epoch a randperm from a generator seeded by
splitmix64(seed, epoch), as Unified.Core.Runtime.Seed.Derive), validation after every epoch with the loss and accuracy
summed on the device and read once per epoch. One thread. Prints one JSON line: seconds (the epochs with validation,
imports and data loading excluded), val_accuracy, torch version, and the BLAS that threadpoolctl finds loaded.
"""
import argparse
import gzip
import json
import os
import struct
import time

import torch
from torch import nn

MASK64 = (1 << 64) - 1


def derive(seed: int, stream: int) -> int:
    """Unified.Core.Runtime.Seed.Derive: splitmix64 of (seed, stream), as a non-negative 63-bit integer."""
    z = (seed + 0x9E3779B97F4A7C15 * (stream + 1)) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return (z ^ (z >> 31)) & ((1 << 63) - 1)


def read_idx(path: str) -> torch.Tensor:
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def blas() -> str:
    try:
        from threadpoolctl import threadpool_info
        libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        return ", ".join(f"{i['internal_api']} {i.get('version')} ({i['filepath']})" for i in libs) or "no BLAS found"
    except ImportError:
        return "unknown (no threadpoolctl)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-steps", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)

    images = read_idx(os.path.join(args.data_dir, "digits10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.data_dir, "digits10k-labels-idx1-ubyte.gz")).long()
    inputs = images.reshape(images.shape[0], -1).float().div_(255)
    count = inputs.shape[0]
    val_start = count - round(count * 0.2)
    train_x, train_y = inputs[:val_start].clone(), labels[:val_start].clone()
    val_x, val_y = inputs[val_start:].clone(), labels[val_start:].clone()

    torch.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    b = args.batch_size
    steps = 0
    accuracy = float("nan")
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(train_x.shape[0], generator=torch.Generator().manual_seed(derive(args.seed, epoch)))
        loss_sum = torch.zeros((), dtype=torch.float64)
        batches = 0
        for i in range(0, train_x.shape[0], b):
            index = order[i:i + b]
            x, y = train_x.index_select(0, index), train_y.index_select(0, index)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
            steps += 1
            batches += 1
            if args.max_steps is not None and steps >= args.max_steps:
                break
        model.eval()
        correct = torch.zeros((), dtype=torch.int64)
        val_loss = torch.zeros((), dtype=torch.float64)
        with torch.no_grad():
            for i in range(0, val_x.shape[0], b):
                logits = model(val_x[i:i + b])
                val_loss += loss_fn(logits, val_y[i:i + b]) * logits.shape[0]
                correct += (logits.argmax(1) == val_y[i:i + b]).sum()
        accuracy = correct.item() / val_x.shape[0]
        print(f"epoch {epoch + 1}: train_loss {loss_sum.item() / max(1, batches):.4f} val_loss {val_loss.item() / val_x.shape[0]:.4f} val_accuracy {accuracy:.4f}")
        if args.max_steps is not None and steps >= args.max_steps:
            break
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "steps": steps, "val_accuracy": accuracy, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "blas": blas()}))


if __name__ == "__main__":
    main()
