"""Golden outputs of Hugging Face transformers for model folders this project saves.

Developer tool (never run by the README's commands, set-up or tests). Four commands:

- base OUT: a random tiny DistilBertForSequenceClassification (2 layers x 4 heads, dim 16,
  FFN 32, 24 positions) with a WordPiece tokenizer of 77 tokens, saved by transformers as
  a model folder: what tests/fixtures/hf-interop/ prunes with `deno task prune`.
- logits FOLDER...: loads each folder with AutoTokenizer + AutoModelForSequenceClassification,
  runs the sentences of tests/fixtures/hf-interop/sentences.csv (one padded batch, truncation
  on) and writes FOLDER/hf_logits.transformersN.json (N: the major version): the versions, the
  token ids, the logits and every warning that loading and the forward pass raised. A folder that does not load is reported and skipped (exit 1).
  tests/hf_interop_test.ts compares the engine with every such file.
- compare FOLDER PREDICTIONS.csv: runs pipeline("sentiment-analysis", FOLDER, truncation=True)
  on the `sentence` column of a CSV written by `deno task evaluate --predictions` and prints
  the largest |p_positive(HF) - p_positive(ours)|, the warnings, and the pipeline's speed
  (examples/s in batches, median ms of one text; torch on one thread).
- speed FOLDER... [--data data/reviews.csv]: the pipeline's speed on each folder that loads, in
  rounds that take every folder in turn; one Markdown table row per folder (medians).

Usage (a venv with torch and transformers from PyPI; any 4.x or 5.x):
    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install torch transformers
    /tmp/hf/bin/python tools/hf_reference.py base tests/fixtures/hf-interop/base
    /tmp/hf/bin/python tools/hf_reference.py logits tests/fixtures/hf-interop/compact-heads
    /tmp/hf/bin/python tools/hf_reference.py compare out/pruned predictions.csv
"""

import argparse
import csv
import io
import json
import logging
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
import transformers
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    DistilBertTokenizerFast,
)

SENTENCES = Path("tests/fixtures/hf-interop/sentences.csv")

WORDS = (
    "the a an and but or not no so it is was are be this that i you my for of to in on at "
    "with after before again even all very too good great bad poor cheap fast slow bright dim "
    "battery screen sound case price money waste broke dies feels would buy half two days "
    "love hate works quality product , . ! ' s"
).split()
PIECES = ["##s", "##ed", "##ing", "##ly", "##er"]


def capture():
    """A context that records Python warnings and transformers' log warnings as strings."""

    class Capture:
        def __enter__(self):
            self.stream = io.StringIO()
            self.handler = logging.StreamHandler(self.stream)
            self.handler.setLevel(logging.WARNING)
            transformers.logging.get_logger().addHandler(self.handler)
            self.records = warnings.catch_warnings(record=True)
            self.list = self.records.__enter__()
            warnings.simplefilter("always")
            return self

        def __exit__(self, *exc):
            self.records.__exit__(*exc)
            transformers.logging.get_logger().removeHandler(self.handler)

        def messages(self):
            logged = [line for line in self.stream.getvalue().splitlines() if line.strip()]
            return [str(w.message) for w in self.list] + logged

    return Capture()


def base(out: Path, seed: int) -> None:
    """A random tiny DistilBERT classifier with non-trivial weights and its tokenizer."""
    out.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS + PIECES
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = DistilBertTokenizerFast(str(out / "vocab.txt"), model_max_length=24)
    torch.manual_seed(seed)
    config = DistilBertConfig(
        vocab_size=len(vocab),
        max_position_embeddings=24,
        n_layers=2,
        n_heads=4,
        dim=16,
        hidden_dim=32,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
        initializer_range=0.3,
    )
    model = DistilBertForSequenceClassification(config).eval()
    with torch.no_grad():  # LayerNorms and biases away from 1/0
        for name, p in model.named_parameters():
            if "layer_norm" in name.lower() or name.endswith("bias"):
                p.add_(0.2 * torch.randn_like(p))
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
    (out / "vocab.txt").unlink()
    (out / "special_tokens_map.json").unlink(missing_ok=True)
    print(f"wrote {out} ({len(vocab)} tokens, transformers {transformers.__version__})")


def read_sentences(path: Path) -> list[str]:
    """The `sentence` column of a CSV file."""
    with path.open(newline="") as f:
        return [row["sentence"] for row in csv.DictReader(f)]


def logits(folder: Path, sentences: list[str]) -> bool:
    """HF's token ids and logits for the sentences, with the warnings raised, into a JSON file."""
    try:
        result = run_sentences(folder, sentences)
    except Exception as e:  # noqa: BLE001 - a folder this version cannot load is a finding
        print(f"{folder}: transformers {transformers.__version__} cannot load it: "
              f"{type(e).__name__}: {str(e).splitlines()[0]}")
        return False
    major = transformers.__version__.split(".")[0]
    (folder / f"hf_logits.transformers{major}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{folder}: transformers {transformers.__version__}, warnings: {result['warnings'] or 'none'}")
    return True


def run_sentences(folder: Path, sentences: list[str]) -> dict:
    """Token ids and logits of the sentences, with the warnings raised on the way."""
    with capture() as seen:
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        model = AutoModelForSequenceClassification.from_pretrained(str(folder)).eval()
        batch = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            out = model(**batch).logits
    return {
        "computed_by": f"transformers {transformers.__version__}, torch {torch.__version__}, "
        "AutoModelForSequenceClassification, eval mode",
        "transformers": transformers.__version__,
        "model_dtype": str(model.dtype).replace("torch.", ""),
        "tokenizer_class": type(tokenizer).__name__,
        "model_input_names": list(batch.keys()),
        "warnings": seen.messages(),
        "sentences": sentences,
        "input_ids": batch["input_ids"].tolist(),
        "attention_mask": batch["attention_mask"].tolist(),
        "logits": out.tolist(),
    }


def compare(folder: Path, predictions: Path, batch_size: int, repeats: int) -> None:
    """Largest |p_positive| difference between HF's pipeline and a predictions CSV; its speed."""
    with predictions.open(newline="") as f:
        rows = list(csv.DictReader(f))
    with capture() as seen:
        classify = transformers.pipeline(
            "sentiment-analysis", model=str(folder), truncation=True, top_k=None, device="cpu"
        )
        texts = [r["sentence"] for r in rows]
        classify(texts[:batch_size], batch_size=batch_size)  # warm-up
        started = time.perf_counter()
        outputs = classify(texts, batch_size=batch_size)
        per_second = len(texts) / (time.perf_counter() - started)
        single = []
        for i in range(repeats):
            t = time.perf_counter()
            classify(texts[(i * 7) % len(texts)])
            single.append(1000 * (time.perf_counter() - t))
    worst, where = 0.0, -1
    for i, (row, scores) in enumerate(zip(rows, outputs)):
        ours = float(row["p_positive"])
        theirs = next(s["score"] for s in scores if s["label"] == "POSITIVE")
        if abs(ours - theirs) > worst:
            worst, where = abs(ours - theirs), i
    print(
        f"transformers {transformers.__version__} pipeline, {folder}: {len(rows)} rows, "
        f"model dtype {classify.model.dtype}, max |dp_positive| {worst:.3g} (row {where + 2}); "
        f"{per_second:.1f} examples/s (batch {batch_size}), p50 {statistics.median(single):.2f} ms "
        f"(1 text, {torch.get_num_threads()} thread); warnings: {seen.messages() or 'none'}"
    )


def speed(folders: list[Path], data: Path, rounds: int, repeats: int, batch_size: int) -> None:
    """Pipeline speed of each folder that loads, rounds taking every folder in turn; medians."""
    texts = read_sentences(data)
    pipes = {}
    for folder in folders:
        try:
            pipes[folder] = transformers.pipeline(
                "sentiment-analysis", model=str(folder), truncation=True, device="cpu"
            )
        except Exception as e:  # noqa: BLE001 - a folder this version cannot load is a finding
            print(f"{folder}: transformers {transformers.__version__} cannot load it: "
                  f"{type(e).__name__}: {str(e).splitlines()[0]}")
    results = {folder: ([], []) for folder in pipes}
    for _ in range(rounds):
        for folder, classify in pipes.items():
            classify(texts[:batch_size], batch_size=batch_size)  # warm-up
            started = time.perf_counter()
            classify(texts, batch_size=batch_size)
            results[folder][0].append(len(texts) / (time.perf_counter() - started))
            single = []
            for i in range(repeats):
                t = time.perf_counter()
                classify(texts[(i * 7) % len(texts)])
                single.append(1000 * (time.perf_counter() - t))
            results[folder][1].append(statistics.median(single))
    for folder, (per_second, p50) in results.items():
        print(f"| {folder.name} | transformers {transformers.__version__} (torch, "
              f"{torch.get_num_threads()} thread) | {statistics.median(per_second):.1f} | "
              f"{statistics.median(p50):.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("base", help="write the random tiny base model folder")
    p.add_argument("out", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("logits", help="write FOLDER/hf_logits.transformersN.json for each folder")
    p.add_argument("folders", type=Path, nargs="+")
    p.add_argument("--sentences", type=Path, default=SENTENCES, help="CSV with a sentence column")
    p = sub.add_parser("compare", help="compare a predictions CSV with HF's pipeline")
    p.add_argument("folder", type=Path)
    p.add_argument("predictions", type=Path)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=30, help="single-text runs for the p50 latency")
    p = sub.add_parser("speed", help="pipeline speed of folders, interleaved rounds")
    p.add_argument("folders", type=Path, nargs="+")
    p.add_argument("--data", type=Path, default=Path("data/reviews.csv"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(1)
    if args.command == "base":
        base(args.out, args.seed)
        return 0
    if args.command == "logits":
        sentences = read_sentences(args.sentences)
        loaded = [logits(folder, sentences) for folder in args.folders]
        return 0 if all(loaded) else 1
    if args.command == "speed":
        speed(args.folders, args.data, args.rounds, args.repeats, args.batch_size)
        return 0
    compare(args.folder, args.predictions, args.batch_size, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
