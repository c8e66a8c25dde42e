#!/usr/bin/env python3
"""Converts a phi ONNX model directory (the canary, models/canary) to a transformers model directory.

The canary's graph is a torch.onnx export of phi (tools/build_test_model.py, which implements
transformers' PhiForCausalLM layer for layer), so its weights map one-to-one onto PhiForCausalLM's
parameters: each Linear is a MatMul whose node is named after the module
(`/layers.0/self_attn/q_proj/MatMul`) and whose weight initializer is the Linear's weight
transposed, followed by an Add of the named bias (`layers.0.self_attn.q_proj.bias`); the
embedding and LayerNorm tensors keep their module names. The state dict is loaded strictly (every
parameter of PhiForCausalLM filled, nothing left over), saved with save_pretrained (safetensors)
beside config.json, generation_config.json and the tokenizer files, and checked: the logits of
transformers' model equal onnxruntime's on the graph within 1e-4, and greedy decoding gives the
same tokens for a few prompts.

Build-time only (pyenv's python3 with torch, transformers, onnx, onnxruntime):

    python3 tools/onnx_to_transformers.py --onnx models/canary --out /tmp/canary-hf \
        [--chat-template tests/fixtures/chat-templates/chatml.jinja]

--chat-template copies a Jinja chat template into the folder as chat_template.jinja (the canary
has none, and transformers serve's /v1/chat/completions needs one).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper
from transformers import PhiConfig, PhiForCausalLM

COPIED = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]


def named_tensors(m: onnx.ModelProto) -> dict[str, np.ndarray]:
    """Initializers, Constant outputs and Identity copies of them, by name (the exporter stores a
    tensor equal to another once: the canary's `layers.i.mlp.fc2.bias` is an Identity of
    `layers.i.self_attn.dense.bias`)."""
    out = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    for node in m.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    out[node.output[0]] = numpy_helper.to_array(attr.t)
        elif node.op_type == "Identity" and node.input[0] in out:
            out[node.output[0]] = out[node.input[0]]
    return out


def state_dict_of(m: onnx.ModelProto) -> dict[str, torch.Tensor]:
    tensors = named_tensors(m)
    state: dict[str, torch.Tensor] = {}
    for node in m.graph.node:
        # A Linear: MatMul(x, W^T) named /<module path>/MatMul.
        if node.op_type == "MatMul" and node.input[1] in tensors and node.name.endswith("/MatMul"):
            module = node.name.strip("/").removesuffix("/MatMul").replace("/", ".")
            key = module if module == "lm_head" else f"model.{module}"
            state[f"{key}.weight"] = torch.from_numpy(np.ascontiguousarray(tensors[node.input[1]].T))
    for name, value in tensors.items():
        if name.startswith(("layers.", "embed_tokens.", "final_layernorm.")):
            state[f"model.{name}"] = torch.from_numpy(np.array(value))
        elif name == "lm_head.bias":
            state[name] = torch.from_numpy(np.array(value))
    return state


def onnx_logits(session: ort.InferenceSession, ids: list[int], layers: int, heads: int, head_dim: int) -> np.ndarray:
    """Logits of the whole sequence in one step with an empty past (optimum's IO)."""
    feeds = {
        "input_ids": np.array([ids], dtype=np.int64),
        "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
        "position_ids": np.arange(len(ids), dtype=np.int64)[None, :],
    }
    for i in range(layers):
        for kv in ("key", "value"):
            feeds[f"past_key_values.{i}.{kv}"] = np.zeros((1, heads, 0, head_dim), dtype=np.float32)
    return session.run(["logits"], feeds)[0][0]


def greedy(step, ids: list[int], new: int, eos: int) -> list[int]:
    out = list(ids)
    for _ in range(new):
        nxt = int(np.argmax(step(out)[-1]))
        out.append(nxt)
        if nxt == eos:
            break
    return out[len(ids):]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--onnx", required=True, type=Path, help="ONNX model directory (config.json, model.onnx, tokenizer)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--chat-template", type=Path, help="a Jinja chat template to write as chat_template.jinja")
    args = ap.parse_args()

    cfg_json = json.loads((args.onnx / "config.json").read_text())
    if cfg_json.get("model_type") != "phi":
        sys.exit(f"{args.onnx}/config.json: model_type {cfg_json.get('model_type')!r}, this tool converts phi only")
    config = PhiConfig(**{k: v for k, v in cfg_json.items() if not k.startswith("_")})
    graph = onnx.load(str(args.onnx / "model.onnx"))
    model = PhiForCausalLM(config).eval()
    model.load_state_dict(state_dict_of(graph), strict=True)

    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out), safe_serialization=True)
    for name in COPIED:
        if (args.onnx / name).exists():
            shutil.copyfile(args.onnx / name, args.out / name)
    if args.chat_template:
        shutil.copyfile(args.chat_template, args.out / "chat_template.jinja")

    # The check: transformers' logits against onnxruntime's, and greedy tokens.
    heads = config.num_attention_heads
    head_dim = config.hidden_size // heads
    session = ort.InferenceSession(str(args.onnx / "model.onnx"), providers=["CPUExecutionProvider"])
    tok = json.loads((args.onnx / "tokenizer.json").read_text())
    vocab = tok["model"]["vocab"]
    prompts = [[vocab[t] for t in list(vocab)[i : i + 7]] for i in (5, 40, 90)]

    def torch_step(ids: list[int]) -> np.ndarray:
        with torch.no_grad():
            return model(torch.tensor([ids])).logits[0].numpy()

    def onnx_step(ids: list[int]) -> np.ndarray:
        return onnx_logits(session, ids, config.num_hidden_layers, heads, head_dim)

    worst = max(float(np.abs(torch_step(p) - onnx_step(p)).max()) for p in prompts)
    eos = config.eos_token_id if isinstance(config.eos_token_id, int) else -1
    same = all(greedy(torch_step, p, 20, eos) == greedy(onnx_step, p, 20, eos) for p in prompts)
    print(json.dumps({"out": str(args.out), "max_abs_logit_diff": worst, "greedy_equal": same}))
    if worst > 1e-4 or not same:
        sys.exit("transformers' model does not reproduce the ONNX graph")


if __name__ == "__main__":
    main()
