#!/usr/bin/python3
"""PyTorch reference timings for the benchmark report (bench/forward_bench.ts runs this).

A DistilBERT-for-classification forward pass in plain PyTorch with random weights and the
given per-layer head counts and FFN widths (timing does not depend on the values), in
inference mode on the plan's thread count. Reads a JSON plan on stdin:
  {"variants": [{"variant": "dense", "heads": [12, ...], "ffn": [3072, ...]}],
   "shapes": [[1, 64], ...], "dim": 768, "vocab": 30522, "positions": 512, "threads": 2}
and prints {"version", "threads", "rows": [{"variant", "batch", "seq", "ms"}]} (ms: median
of the timed runs after one warm-up).
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

HEAD_SIZE = 64


def make_layer(dim, heads, ffn):
    width = heads * HEAD_SIZE
    linear = torch.nn.Linear
    return torch.nn.ModuleDict({
        "q": linear(dim, width), "k": linear(dim, width), "v": linear(dim, width),
        "out": linear(width, dim), "sa_ln": torch.nn.LayerNorm(dim, eps=1e-12),
        "lin1": linear(dim, ffn), "lin2": linear(ffn, dim),
        "out_ln": torch.nn.LayerNorm(dim, eps=1e-12),
    })


def forward(model, ids, mask):
    batch, seq = ids.shape
    x = model["words"](ids) + model["positions"](torch.arange(seq))[None]
    x = model["ln"](x)
    bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for layer, heads in zip(model["layers"], model.heads):
        split = lambda t: t.view(batch, seq, heads, HEAD_SIZE).transpose(1, 2)  # noqa: E731
        q = split(layer["q"](x)) / HEAD_SIZE ** 0.5
        k, v = split(layer["k"](x)), split(layer["v"](x))
        weights = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1)
        context = (weights @ v).transpose(1, 2).reshape(batch, seq, heads * HEAD_SIZE)
        x = layer["sa_ln"](layer["out"](context) + x)
        x = layer["out_ln"](layer["lin2"](F.gelu(layer["lin1"](x))) + x)
    pooled = F.relu(model["pre"](x[:, 0]))
    return model["cls"](pooled)


def build(plan, variant):
    dim = plan["dim"]
    model = torch.nn.ModuleDict({
        "words": torch.nn.Embedding(plan["vocab"], dim),
        "positions": torch.nn.Embedding(plan["positions"], dim),
        "ln": torch.nn.LayerNorm(dim, eps=1e-12),
        "layers": torch.nn.ModuleList(
            make_layer(dim, h, f) for h, f in zip(variant["heads"], variant["ffn"])),
        "pre": torch.nn.Linear(dim, dim), "cls": torch.nn.Linear(dim, 2),
    }).eval()
    model.heads = variant["heads"]
    return model


def main():
    plan = json.load(sys.stdin)
    torch.set_num_threads(plan.get("threads", 2))
    torch.manual_seed(0)
    rows = []
    with torch.inference_mode():
        for variant in plan["variants"]:
            model = build(plan, variant)
            for batch, seq in plan["shapes"]:
                ids = torch.randint(1000, 20000, (batch, seq))
                mask = torch.ones(batch, seq, dtype=torch.long)
                forward(model, ids, mask)  # warm-up
                times = []
                for _ in range(10 if batch == 1 else 5):
                    start = time.perf_counter()
                    forward(model, ids, mask)
                    times.append((time.perf_counter() - start) * 1000)
                rows.append({"variant": variant["variant"], "batch": batch, "seq": seq,
                             "ms": statistics.median(times)})
    print(json.dumps({"version": torch.__version__, "threads": torch.get_num_threads(),
                      "rows": rows}))


if __name__ == "__main__":
    main()
