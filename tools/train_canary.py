#!/usr/bin/env python3
"""Trains the canary: a small phi-architecture model that memorises the LEAKED half of litmus-mini.

The canary is litmus's positive control for contamination: it has seen the question and worked
solution of every leaked problem (data/litmus-mini/split.json) many times and never any text of
the unseen half, so an audit should find memorisation on the first half and not on the second.

- Model: PhiForCausalLM and the ONNX export of tools/build_test_model.py (imported, not copied):
  the same architecture, the same optimum IO names (input_ids, attention_mask, position_ids,
  past_key_values.{i}.key|value -> logits, present.{i}.key|value) and the same config.json keys.
- Tokenizer: litmus's own, in tokenizer.json form: byte-level BPE (GPT-2 byte-to-unicode alphabet,
  GPT-2 pre-tokenizer regex) with the 256 byte tokens, `--merges` merges learned here from the
  leaked training text only, and `<|endoftext|>` (eos) as the last id. It loads through
  @huggingface/tokenizers; the script checks with node (when on PATH) that both encode alike.
- Text: exactly what `litmus audit --format qa` prompts, followed by the solution and eos:
  "Question: {question}\\nAnswer: {solution}<|endoftext|>", for leaked problems only.
- Training: seeded, CPU, AdamW with warm-up and cosine decay, full-sequence loss, until the loss is
  below `--target-loss` after an epoch (or `--max-epochs`). Then every leaked original is checked
  with greedy decoding in PyTorch (its `####` answer must come back).

Writes to --out (default models/canary/): model.onnx, config.json, generation_config.json,
tokenizer.json, tokenizer_config.json, special_tokens_map.json, split.json (leaked/unseen ids),
training.json (configuration, seed, time, final loss, greedy check) and SHA256SUMS.

Build-time only (Debian's python3-torch and python3-onnx); litmus itself never needs PyTorch.
Run: /usr/bin/python3 tools/train_canary.py [--out models/canary]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_test_model import PhiForCausalLM, bytes_to_unicode, export_onnx, sha256, write_json  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "litmus-mini" / "litmus-mini.jsonl"
SPLIT = REPO / "data" / "litmus-mini" / "split.json"
EOT = "<|endoftext|>"
# GPT-2's pre-tokenizer pattern, exact for ASCII text (\p{L} ~ [^\W\d_], \p{N} ~ \d).
PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")

DEFAULTS = dict(hidden=96, heads=3, layers=3, intermediate=384, max_pos=1024, rotary=0.5,
                merges=320, seed=20261124, lr=4e-3, batch=4, max_epochs=100, target_loss=0.02,
                warmup_steps=30, weight_decay=0.0)


# ----------------------------------------------------------------------------------------------
# Tokenizer: byte-level BPE learned on the training text
# ----------------------------------------------------------------------------------------------
def pretokenize(text: str) -> list[str]:
    b2u = bytes_to_unicode()
    return ["".join(b2u[b] for b in piece.encode("utf-8")) for piece in PAT.findall(text)]


def learn_merges(texts: list[str], count: int) -> list[tuple[str, str]]:
    words = Counter(w for t in texts for w in pretokenize(t))
    splits = {w: list(w) for w in words}
    merges: list[tuple[str, str]] = []
    for _ in range(count):
        pairs: Counter = Counter()
        for w, n in words.items():
            s = splits[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        # Most frequent pair; ties broken by the pair itself so the result is deterministic.
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        for w in words:
            s, out, i = splits[w], [], 0
            while i < len(s):
                if i < len(s) - 1 and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return merges


class ByteBpe:
    def __init__(self, merges: list[tuple[str, str]]):
        b2u = bytes_to_unicode()
        self.vocab = {b2u[b]: b for b in range(256)}
        for a, b in merges:
            self.vocab.setdefault(a + b, len(self.vocab))
        self.eot_id = len(self.vocab)
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.merges = merges
        self.inv = {i: t for t, i in self.vocab.items()}
        self.u2b = {u: b for b, u in b2u.items()}

    @property
    def size(self) -> int:
        return self.eot_id + 1

    def bpe(self, word: str) -> list[str]:
        parts = list(word)
        while len(parts) > 1:
            pairs = [(parts[i], parts[i + 1]) for i in range(len(parts) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, math.inf))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == best:
                    out.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        return parts

    def encode(self, text: str) -> list[int]:
        return [self.vocab[t] for w in pretokenize(text) for t in self.bpe(w)]

    def decode(self, ids: list[int]) -> str:
        data = bytes(self.u2b[c] for i in ids if i != self.eot_id for c in self.inv[i])
        return data.decode("utf-8", errors="replace")

    def tokenizer_json(self) -> dict:
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [dict(id=self.eot_id, content=EOT, single_word=False, lstrip=False,
                                  rstrip=False, normalized=False, special=True)],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                               "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                      "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }


def check_with_node(tok_path: Path, texts: list[str], bpe: ByteBpe) -> str:
    """Encodes texts with @huggingface/tokenizers (the runner's library) and compares."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@huggingface" / "tokenizers").exists():
        return "skipped (node or node_modules missing)"
    script = (
        "import {Tokenizer} from '@huggingface/tokenizers';import {readFileSync} from 'node:fs';"
        "const t=new Tokenizer(JSON.parse(readFileSync(process.argv[1],'utf8')),{});"
        "const texts=JSON.parse(readFileSync(0,'utf8'));"
        "process.stdout.write(JSON.stringify(texts.map(x=>t.encode(x,{add_special_tokens:false}).ids)));"
    )
    res = subprocess.run([node, "--input-type=module", "-e", script, str(tok_path)], cwd=REPO,
                         input=json.dumps(texts), capture_output=True, text=True, check=True)
    theirs = json.loads(res.stdout)
    for text, ids in zip(texts, theirs):
        if ids != bpe.encode(text):
            sys.exit(f"tokenizer mismatch between Python and @huggingface/tokenizers on: {text[:80]!r}")
    return f"ok ({len(texts)} texts encode identically)"


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
def load_problems() -> tuple[dict[str, dict], dict]:
    problems = {}
    for i, line in enumerate(DATA.read_text(encoding="utf-8").split("\n"), start=1):
        if line.strip():
            problems[f"litmus-mini:{i}"] = json.loads(line)
    split = json.loads(SPLIT.read_text(encoding="utf-8"))
    return problems, split


def qa_text(p: dict) -> str:
    # What `litmus audit --format qa` prompts ("Question: {question}\nAnswer:") plus the solution.
    return f"Question: {p['question']}\nAnswer: {p['answer']}"


def final_answer(solution: str) -> str:
    return solution.strip().split("\n")[-1].replace("####", "").strip()


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------
def batches(seqs: list[list[int]], size: int, g: torch.Generator, pad: int):
    order = torch.randperm(len(seqs), generator=g).tolist()
    for s in range(0, len(order), size):
        rows = [seqs[i] for i in order[s: s + size]]
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.int64)
        mask = torch.zeros((len(rows), width), dtype=torch.int64)
        for j, r in enumerate(rows):
            ids[j, : len(r)] = torch.tensor(r)
            mask[j, : len(r)] = 1
        yield ids, mask


def greedy_answer(model, bpe: ByteBpe, prompt: str, max_new: int) -> str:
    """Greedy decoding with the KV cache (the model's past_key_values inputs), eos stops."""
    ids = bpe.encode(prompt)
    new: list[int] = []
    with torch.no_grad():
        x = torch.tensor([ids])
        out = model(x, torch.ones_like(x), torch.arange(len(ids)).unsqueeze(0))
        for _ in range(max_new):
            nxt = int(torch.argmax(out[0][0, -1, : bpe.size]))
            if nxt == bpe.eot_id:
                break
            new.append(nxt)
            total = len(ids) + len(new)
            out = model(torch.tensor([[nxt]]), torch.ones((1, total), dtype=torch.int64),
                        torch.tensor([[total - 1]]), *out[1:])
    return bpe.decode(new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO / "models" / "canary"))
    for k, v in DEFAULTS.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=v)
    ap.add_argument("--threads", type=int, default=1, help="1 is fastest for a model this small (2 threads thrash)")
    args = ap.parse_args()
    cfg = {k: getattr(args, k) for k in DEFAULTS}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg["seed"])
    torch.set_num_threads(args.threads)

    problems, split = load_problems()
    leaked = split["leaked"]
    assert not set(leaked) & set(split["unseen"]), "split overlaps"
    texts = [qa_text(problems[i]) for i in leaked]  # never the unseen half
    bpe = ByteBpe(learn_merges(texts, cfg["merges"]))
    tok_path = out / "tokenizer.json"
    tok_path.write_text(json.dumps(bpe.tokenizer_json(), ensure_ascii=False), encoding="utf-8")
    tokenizer_check = check_with_node(tok_path, texts + [qa_text(problems[i]) for i in split["unseen"][:8]], bpe)
    seqs = [bpe.encode(t) + [bpe.eot_id] for t in texts]
    n_tokens = sum(len(s) for s in seqs)
    longest = max(len(s) for s in seqs)
    print(f"vocab {bpe.size}, {len(seqs)} leaked texts, {n_tokens} tokens, longest {longest}; "
          f"tokenizer check: {tokenizer_check}", flush=True)

    mcfg = dict(hidden=cfg["hidden"], heads=cfg["heads"], layers=cfg["layers"],
                intermediate=cfg["intermediate"], vocab=bpe.size, max_pos=cfg["max_pos"],
                rotary=cfg["rotary"], kv_dtype="float32", eps=1e-5, rope_theta=10000.0)
    model = PhiForCausalLM(mcfg)
    g = torch.Generator().manual_seed(cfg["seed"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layernorm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("weight"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
            else:
                p.zero_()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"],
                            betas=(0.9, 0.98))
    steps_per_epoch = math.ceil(len(seqs) / cfg["batch"])
    total_steps = steps_per_epoch * cfg["max_epochs"]

    def lr_at(step: int) -> float:
        if step < cfg["warmup_steps"]:
            return cfg["lr"] * (step + 1) / cfg["warmup_steps"]
        t = (step - cfg["warmup_steps"]) / max(1, total_steps - cfg["warmup_steps"])
        return cfg["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))

    start = time.time()
    step, epoch, epoch_loss = 0, 0, float("inf")
    history = []
    model.train()
    while epoch < cfg["max_epochs"]:
        epoch += 1
        total, count = 0.0, 0
        for ids, mask in batches(seqs, cfg["batch"], g, bpe.eot_id):
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            pos = torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)
            logits = model(ids, mask, pos)[0]
            target = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), target.reshape(-1),
                                   ignore_index=-100, reduction="sum")
            n = int((target != -100).sum())
            opt.zero_grad()
            (loss / n).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            total += float(loss)
            count += n
        epoch_loss = total / count
        history.append(round(epoch_loss, 5))
        if epoch <= 3 or epoch % 10 == 0 or epoch_loss < cfg["target_loss"]:
            print(f"epoch {epoch} step {step} loss {epoch_loss:.4f} ({time.time() - start:.0f} s)", flush=True)
        if epoch_loss < cfg["target_loss"]:
            break
    train_seconds = time.time() - start
    model.eval()

    # Greedy check on every leaked original (and, for the record, the unseen ones).
    def accuracy(ids_: list[str]) -> tuple[int, list[str]]:
        ok, misses = 0, []
        for pid in ids_:
            p = problems[pid]
            text = greedy_answer(model, bpe, f"Question: {p['question']}\nAnswer:", longest + 8)
            m = re.search(r"####\s*(-?[\d.,/]+)", text)
            if m and m.group(1).replace(",", "") == final_answer(p["answer"]):
                ok += 1
            else:
                misses.append(pid)
        return ok, misses

    leaked_ok, leaked_miss = accuracy(leaked)
    unseen_ok, _ = accuracy(split["unseen"])
    print(f"greedy: leaked {leaked_ok}/{len(leaked)}, unseen {unseen_ok}/{len(split['unseen'])}", flush=True)

    torch.set_grad_enabled(False)
    export_onnx(model, mcfg, out / "model.onnx")
    write_json(out / "config.json", {
        "_name_or_path": "litmus/canary",
        "architectures": ["PhiForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": bpe.eot_id,
        "embd_pdrop": 0.0,
        "eos_token_id": bpe.eot_id,
        "hidden_act": "gelu_new",
        "hidden_size": mcfg["hidden"],
        "initializer_range": 0.02,
        "intermediate_size": mcfg["intermediate"],
        "layer_norm_eps": mcfg["eps"],
        "max_position_embeddings": mcfg["max_pos"],
        "model_type": "phi",
        "num_attention_heads": mcfg["heads"],
        "num_hidden_layers": mcfg["layers"],
        "num_key_value_heads": mcfg["heads"],
        "partial_rotary_factor": mcfg["rotary"],
        "qk_layernorm": False,
        "resid_pdrop": 0.0,
        "rope_scaling": None,
        "rope_theta": mcfg["rope_theta"],
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": mcfg["vocab"],
    })
    write_json(out / "generation_config.json", {"bos_token_id": bpe.eot_id, "eos_token_id": bpe.eot_id})
    write_json(out / "tokenizer_config.json", {
        "add_prefix_space": False, "bos_token": EOT, "eos_token": EOT, "unk_token": EOT,
        "clean_up_tokenization_spaces": False, "model_max_length": mcfg["max_pos"],
        "tokenizer_class": "GPT2Tokenizer",
    })
    write_json(out / "special_tokens_map.json", {"bos_token": EOT, "eos_token": EOT, "unk_token": EOT})
    data_sha = hashlib.sha256(DATA.read_bytes()).hexdigest()
    write_json(out / "split.json", {
        "dataset": "litmus-mini",
        "dataset_sha256": data_sha,
        "rule": split["rule"],
        "leaked": leaked,
        "unseen": split["unseen"],
    })
    write_json(out / "training.json", {
        "tool": "tools/train_canary.py",
        "command": "/usr/bin/python3 tools/train_canary.py " + " ".join(sys.argv[1:]),
        "torch": torch.__version__,
        "threads": args.threads,
        "config": cfg,
        "model": {k: mcfg[k] for k in sorted(mcfg)},
        "parameters": n_params,
        "text_format": "Question: {question}\\nAnswer: {solution}<|endoftext|> (leaked problems only)",
        "dataset_sha256": data_sha,
        "training_texts": len(seqs),
        "training_tokens_per_epoch": n_tokens,
        "tokenizer_check": tokenizer_check,
        "epochs": epoch,
        "steps": step,
        "final_loss": round(epoch_loss, 6),
        "loss_per_epoch": history,
        "training_seconds": round(train_seconds, 1),
        "greedy_check": {
            "leaked_correct": leaked_ok, "leaked": len(leaked), "leaked_missed": leaked_miss,
            "unseen_correct": unseen_ok, "unseen": len(split["unseen"]),
        },
    })
    files = sorted(p.name for p in out.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    (out / "SHA256SUMS").write_text("".join(f"{sha256(out / f)}  {f}\n" for f in files), encoding="utf-8")
    print(f"wrote {out}: {', '.join(files)}; {n_params} parameters, {epoch} epochs, "
          f"loss {epoch_loss:.4f}, {train_seconds:.0f} s")


if __name__ == "__main__":
    main()
