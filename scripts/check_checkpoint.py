#!/usr/bin/python3
"""Checks a Unified checkpoint from PyTorch: loads its model weights into an equivalent PyTorch MLP and computes the
validation accuracy on the bundled digits, with the same split as Unified's DigitsDataModule (the last 20% of the
samples, in file order, validate).

The checkpoint is a safetensors file (8-byte little-endian header length, JSON header, raw little-endian tensor data);
Debian has no package for Python's `safetensors`, so the layout is parsed here by hand. Needs Debian's python3-torch:

    /usr/bin/python3 scripts/check_checkpoint.py runs/version_0/last.ckpt --expected-val-accuracy 0.953

Prints one JSON line; exits 1 when --expected-val-accuracy is given and differs by more than --tolerance (1e-4).
"""
import argparse
import gzip
import json
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    data = blob[8 + length:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensor = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[entry["dtype"]]) if end > begin else torch.empty(0, dtype=DTYPES[entry["dtype"]])
        tensors[name] = tensor.reshape(entry["shape"])
    return tensors, metadata


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        blob = f.read()
    rank = blob[3]
    shape = struct.unpack(">" + "I" * rank, blob[4:4 + 4 * rank])
    return torch.frombuffer(bytearray(blob[4 + 4 * rank:]), dtype=torch.uint8).reshape(shape)


class DigitsMlp(torch.nn.Module):
    """Unified's DigitsMlp: 784-256-10 with ReLU, same state-dict names."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 256)
        self.fc2 = torch.nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--data", default=os.path.join(repo, "data"), help="folder with digits10k-*-ubyte.gz (default: the bundled digits)")
    parser.add_argument("--validation-fraction", type=float, default=0.2)
    parser.add_argument("--expected-val-accuracy", type=float)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    tensors, metadata = read_safetensors(args.checkpoint)
    model = DigitsMlp()
    # Only the model's weights live under plain names; the other parts of a checkpoint are prefixed (optimizer.*, rng.*, ...).
    model.load_state_dict({k: v for k, v in tensors.items() if k in model.state_dict()}, strict=True)
    model.eval()

    images = read_idx(os.path.join(args.data, "digits10k-images-idx3-ubyte.gz")).reshape(-1, 784).to(torch.float32) / 255.0
    labels = read_idx(os.path.join(args.data, "digits10k-labels-idx1-ubyte.gz")).to(torch.int64)
    count = images.shape[0]
    # DigitsDataModule: trainCount = count - Math.Round(count * fraction) (round-half-even, as Python's round).
    train_count = count - int(round(count * args.validation_fraction))
    with torch.no_grad():
        predictions = model(images[train_count:]).argmax(1)
    accuracy = (predictions == labels[train_count:]).to(torch.float64).mean().item()

    result = {"val_accuracy": accuracy, "validation_samples": count - train_count, "format_version": metadata.get("format_version")}
    if args.expected_val_accuracy is not None:
        result["expected_val_accuracy"] = args.expected_val_accuracy
        result["matches"] = abs(accuracy - args.expected_val_accuracy) <= args.tolerance
    print(json.dumps(result))
    return 0 if result.get("matches", True) else 1


if __name__ == "__main__":
    sys.exit(main())
