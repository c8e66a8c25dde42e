#!/usr/bin/env python3
"""The canary's phi model: a PyTorch re-implementation of phi and its ONNX export (train_canary.py only).

The committed test fixtures (tests/fixtures/phi-tiny, phi-tiny-fp16, phi-tiny-int4) and the
benchmark models are now built by tools/build_phi_model.py, with transformers' own
PhiForCausalLM. What is left here is what tools/train_canary.py imports to train and export the
canary (models/canary): this module's PhiForCausalLM, export_onnx, sha256 and write_json. It is
kept so that the canary can be rebuilt exactly as it was made (Debian's python3-torch 1.13 and
python3-onnx); nothing else uses it.

The model is PhiForCausalLM as Hugging Face transformers implements it (modeling_phi.py):
  - token embedding -> N decoder layers -> final LayerNorm -> lm_head (with bias);
  - each decoder layer: ONE LayerNorm whose output feeds self-attention and the MLP in parallel,
    h = attn(ln(h)) + mlp(ln(h)) + h;
  - attention: q/k/v projections with biases, partial rotary embedding on the first
    rotary_dim = int(partial_rotary_factor * head_dim) channels of each head with the HF
    `rotate_half` convention (cat(-x2, x1)), the rotated keys are what the KV cache holds,
    softmax in fp32, `dense` output projection with bias;
  - MLP: fc1 -> gelu_new (tanh approximation) -> fc2.

export_onnx uses the legacy torch.onnx exporter with exactly optimum's IO names and dynamic axes
for `--task text-generation-with-past` (one model.onnx that takes a past of length 0 on the first
step):
  inputs  input_ids [batch_size, sequence_length], attention_mask
          [batch_size, past_sequence_length + sequence_length], position_ids
          [batch_size, sequence_length], past_key_values.{i}.key|value
          [batch_size, num_heads, past_sequence_length, head_dim]
  outputs logits [batch_size, sequence_length, vocab_size], present.{i}.key|value
          [batch_size, num_heads, past_sequence_length + sequence_length, head_dim]

Build-time only (Debian's /usr/bin/python3 with python3-torch and python3-onnx); litmus never
needs PyTorch.
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpt2_bytes import bytes_to_unicode  # noqa: E402,F401  (re-exported for train_canary.py)
from phi_tokenizer import write_json  # noqa: E402,F401  (re-exported for train_canary.py)

import torch
import torch.nn as nn
import torch.nn.functional as F


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
        if past_k is not None:
            k = torch.cat((past_k, k), dim=2)
            v = torch.cat((past_v, v), dim=2)
        attn = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        attn = attn + mask_bias
        attn = F.softmax(attn, dim=-1, dtype=torch.float32).to(v.dtype)
        out = torch.matmul(attn, v)
        out = out.transpose(1, 2).reshape(bsz, q_len, self.heads * self.head_dim)
        return self.dense(out), k, v


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
        return (self.lm_head(h).float(), *presents)


def export_onnx(model: PhiForCausalLM, cfg: dict, path: Path) -> None:
    layers, heads = cfg["layers"], cfg["heads"]
    head_dim = cfg["hidden"] // heads
    b, s, past = 2, 3, 4
    input_ids = torch.randint(0, 100, (b, s), dtype=torch.int64)
    mask = torch.ones(b, past + s, dtype=torch.int64)
    pos = torch.arange(past, past + s, dtype=torch.int64).unsqueeze(0).expand(b, s).contiguous()
    pkv = [torch.randn(b, heads, past, head_dim) for _ in range(2 * layers)]
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


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()



if __name__ == "__main__":
    sys.exit("tools/build_test_model.py only serves tools/train_canary.py now; build phi models with "
             "tools/build_phi_model.py (see its --help)")
