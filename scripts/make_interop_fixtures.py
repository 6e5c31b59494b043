#!/usr/bin/python3
"""Writes the PyTorch interop fixtures of tests/Core.Tests/Fixtures (run with Debian's python3-torch):

  linear_4x3.pt    torch.save(nn.Linear(4, 3).state_dict()) with torch.manual_seed(0)
  linear_4x3.json  the same weights as exact float values, for the test to compare against
"""
import json
import os
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "Core.Tests", "Fixtures")
torch.manual_seed(0)
layer = torch.nn.Linear(4, 3)
state = layer.state_dict()
torch.save(state, os.path.join(out, "linear_4x3.pt"))
with open(os.path.join(out, "linear_4x3.json"), "w") as f:
    json.dump({k: {"shape": list(v.shape), "values": [float(x) for x in v.flatten().tolist()]} for k, v in state.items()}, f, indent=1)
print("wrote", sorted(os.listdir(out)))
