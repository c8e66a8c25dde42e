#!/usr/bin/env python3
"""Builds a tiny decoder-only test model in the layout the onnxruntime-genai model builder writes
for CPU, with the com.microsoft GroupQueryAttention (GQA) contrib op (seeded random weights).

The graph, as the genai builder writes it:
  inputs  input_ids int64 [batch_size, sequence_length],
          attention_mask int64 [batch_size, total_sequence_length],
          past_key_values.{i}.key|value float32 [batch_size, 2, past_sequence_length, 16] (BNSH)
          (NO position_ids: GQA derives positions from seqlens_k)
  outputs logits float32 [batch_size, sequence_length, 257],
          present.{i}.key|value float32 [batch_size, 2, total_sequence_length, 16]
  seqlens_k             = Cast(ReduceSum(attention_mask, axes=[1], keepdims=0) - 1, int32)  [batch]
  total_sequence_length = Cast(Gather(Shape(attention_mask), 1), int32)                     scalar
  embedding Gather -> per layer:
    h = x + o_proj(GQA(q_proj(LN1(x)), k_proj(LN1(x)), v_proj(LN1(x)), past_k, past_v,
                        seqlens_k, total_sequence_length, cos_cache, sin_cache))
    x = h + fc2(gelu_tanh(fc1(LN2(h))))
  -> final LayerNorm -> lm_head (MatMul + Add).
  GQA attributes: num_heads=4, kv_num_heads=2 (query head h reads kv head h // 2), do_rotary=1,
  rotary_interleaved=0 (GPT-NeoX rotate_half over the full head), default scale 1/sqrt(16).
  cos_cache/sin_cache [context_length, head_size/2]: cos/sin(pos * 10000^(-2i/head_size)).
  Gelu is the tanh approximation written with basic ops. Opsets: "" 17, com.microsoft 1; IR 8.

head_size is 16, not 8: ONNX Runtime's GQA kernel rejects rotary with any other head size
("head_size shall be a multiple of 16"). To keep the files small the residual stream stays at
hidden 32, so q is 4 x 16 = 64 wide and o_proj maps 64 -> 32 (genai_config.json's head_size says
so; hidden_size != num_heads * head_size is legal there, as in Gemma).

Beside model.onnx it writes genai_config.json, tokenizer.json (byte-level BPE with no merges: id b
is byte b under GPT-2's bytes_to_unicode(), id 256 = <|endoftext|>, bos = eos = pad),
tokenizer_config.json, reference.json (numpy full recomputation, one prompt at a time, greedy) and
build-info.json (seed, command line, sha256 of model.onnx). No config.json: the builder writes none.

Only numpy and onnx are needed (no onnxruntime, no torch):
  /usr/bin/python3 tools/build_genai_fixture.py --out tests/fixtures/gqa-tiny
  /usr/bin/python3 tools/build_genai_fixture.py --search-seeds 50   # look for a seed, write nothing
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpt2_bytes import bytes_to_unicode  # noqa: E402

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
EOT = "<|endoftext|>"

CFG = dict(
    vocab=257,
    hidden=32,
    layers=2,
    heads=4,
    kv_heads=2,
    head_size=16,
    intermediate=32,
    context=128,
    eps=1e-5,
    rope_theta=10000.0,
)
EOT_ID = 256
DEFAULT_SEED = 9
GREEDY_NEW_TOKENS = 12
PROMPTS = ["The answer is", "Tom has 3 apples and", "Question: 12 eggs", "x"]


# ----------------------------------------------------------------------------------------------
# Tokenizer
# ----------------------------------------------------------------------------------------------
def tokenizer_json() -> dict:
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    vocab[EOT] = EOT_ID
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": EOT_ID,
                "content": EOT,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "ByteLevel",
            "add_prefix_space": False,
            "trim_offsets": True,
            "use_regex": True,
        },
        "post_processor": None,
        "decoder": {
            "type": "ByteLevel",
            "add_prefix_space": True,
            "trim_offsets": True,
            "use_regex": True,
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [],
        },
    }


def encode(text: str) -> list[int]:
    """What the tokenizer above produces: with no merges every UTF-8 byte is its own token."""
    return list(text.encode("utf-8"))


# ----------------------------------------------------------------------------------------------
# Weights and the numpy reference
# ----------------------------------------------------------------------------------------------
def make_weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(seed)
    H, I, V = CFG["hidden"], CFG["intermediate"], CFG["vocab"]
    KV = CFG["kv_heads"] * CFG["head_size"]
    Q = CFG["heads"] * CFG["head_size"]

    def lin(fan_in: int, fan_out: int, gain: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        w = rng.normal(0.0, gain / math.sqrt(fan_in), size=(fan_in, fan_out))
        b = rng.normal(0.0, 0.1, size=(fan_out,))
        return w.astype(np.float32), b.astype(np.float32)

    def ln() -> tuple[np.ndarray, np.ndarray]:
        g = 1.0 + rng.normal(0.0, 0.1, size=(H,))
        b = rng.normal(0.0, 0.1, size=(H,))
        return g.astype(np.float32), b.astype(np.float32)

    w: dict[str, np.ndarray] = {}
    w["embed"] = rng.normal(0.0, 1.0, size=(V, H)).astype(np.float32)
    for i in range(CFG["layers"]):
        p = f"layers.{i}."
        w[p + "ln1.g"], w[p + "ln1.b"] = ln()
        w[p + "q.w"], w[p + "q.b"] = lin(H, Q, 1.5)
        w[p + "k.w"], w[p + "k.b"] = lin(H, KV, 1.5)
        w[p + "v.w"], w[p + "v.b"] = lin(H, KV)
        w[p + "o.w"], w[p + "o.b"] = lin(Q, H)
        w[p + "ln2.g"], w[p + "ln2.b"] = ln()
        w[p + "fc1.w"], w[p + "fc1.b"] = lin(H, I)
        w[p + "fc2.w"], w[p + "fc2.b"] = lin(I, H)
    w["final_ln.g"], w["final_ln.b"] = ln()
    w["lm_head.w"], w["lm_head.b"] = lin(H, V, 3.0)
    return w


def rotary_cache() -> tuple[np.ndarray, np.ndarray]:
    d = CFG["head_size"]
    inv_freq = 1.0 / (CFG["rope_theta"] ** (np.arange(0, d, 2, dtype=np.float64) / d))
    freqs = np.arange(CFG["context"], dtype=np.float64)[:, None] * inv_freq[None, :]
    return np.cos(freqs).astype(np.float32), np.sin(freqs).astype(np.float32)


def layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + CFG["eps"]) * g + b


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """x [n, heads, d]; cos/sin [n, d/2]; non-interleaved (rotate_half) over the full head."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    c, s = cos[:, None, :], sin[:, None, :]
    return np.concatenate([x1 * c - x2 * s, x2 * c + x1 * s], axis=-1)


def forward(w: dict[str, np.ndarray], ids: list[int], cos_c: np.ndarray, sin_c: np.ndarray) -> np.ndarray:
    """Logits [n, vocab] in float64 for one prompt at positions 0..n-1 (full recomputation)."""
    n = len(ids)
    nh, nkv, d = CFG["heads"], CFG["kv_heads"], CFG["head_size"]
    group = nh // nkv
    f = {k: v.astype(np.float64) for k, v in w.items()}
    cos, sin = cos_c[:n].astype(np.float64), sin_c[:n].astype(np.float64)
    causal = np.triu(np.full((n, n), -np.inf), k=1)
    x = f["embed"][ids]
    for i in range(CFG["layers"]):
        p = f"layers.{i}."
        h = layer_norm(x, f[p + "ln1.g"], f[p + "ln1.b"])
        q = (h @ f[p + "q.w"] + f[p + "q.b"]).reshape(n, nh, d)
        k = (h @ f[p + "k.w"] + f[p + "k.b"]).reshape(n, nkv, d)
        v = (h @ f[p + "v.w"] + f[p + "v.b"]).reshape(n, nkv, d)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        out = np.empty((n, nh, d))
        for hd in range(nh):
            kv = hd // group
            s = q[:, hd, :] @ k[:, kv, :].T / math.sqrt(d) + causal
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            out[:, hd, :] = s @ v[:, kv, :]
        x = x + out.reshape(n, nh * d) @ f[p + "o.w"] + f[p + "o.b"]
        m = layer_norm(x, f[p + "ln2.g"], f[p + "ln2.b"])
        m = gelu_tanh(m @ f[p + "fc1.w"] + f[p + "fc1.b"]) @ f[p + "fc2.w"] + f[p + "fc2.b"]
        x = x + m
    x = layer_norm(x, f["final_ln.g"], f["final_ln.b"])
    return x @ f["lm_head.w"] + f["lm_head.b"]


def greedy(w, ids, cos_c, sin_c) -> dict:
    seq = list(ids)
    out, lps, margin, eos = [], [], math.inf, False
    for _ in range(GREEDY_NEW_TOKENS):
        logits = forward(w, seq, cos_c, sin_c)[-1]
        top2 = np.sort(logits)[-2:]
        margin = min(margin, float(top2[1] - top2[0]))
        tok = int(np.argmax(logits))
        if tok == EOT_ID:
            eos = True
            break
        mx = logits.max()
        lse = mx + math.log(np.exp(logits - mx).sum())
        out.append(tok)
        lps.append(float(logits[tok] - lse))
        seq.append(tok)
    return dict(greedy_ids=out, greedy_logprobs=lps, stopped_by_eos=eos, margin=margin)


def reference(seed: int) -> dict:
    w = make_weights(seed)
    cos_c, sin_c = rotary_cache()
    prompts, margin = [], math.inf
    for text in PROMPTS:
        ids = encode(text)
        g = greedy(w, ids, cos_c, sin_c)
        margin = min(margin, g.pop("margin"))
        prompts.append(dict(text=text, ids=ids, **g))
    return dict(
        note="numpy float64 full recomputation, one prompt at a time, positions 0..n-1, no padding; "
        "argmax and log-softmax over all 257 logits; stop early only on eos 256.",
        greedy_new_tokens=GREEDY_NEW_TOKENS,
        min_greedy_margin=margin,
        prompts=prompts,
    )


# ----------------------------------------------------------------------------------------------
# ONNX graph
# ----------------------------------------------------------------------------------------------
def build_model(w: dict[str, np.ndarray]) -> onnx.ModelProto:
    nh, nkv, d = CFG["heads"], CFG["kv_heads"], CFG["head_size"]
    H, V = CFG["hidden"], CFG["vocab"]
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def init(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(arr, name))
        return name

    def node(op: str, ins: list[str], outs: list[str], domain: str = "", **attrs) -> str:
        nodes.append(helper.make_node(op, ins, outs, name=outs[0].replace("/", "_") + "_" + op,
                                      domain=domain, **attrs))
        return outs[0]

    def linear(x: str, prefix: str, name: str) -> str:
        mm = node("MatMul", [x, init(f"{name}.MatMul.weight", w[prefix + ".w"])], [f"/{name}/MatMul/output_0"])
        return node("Add", [mm, init(f"{name}.Add.bias", w[prefix + ".b"])], [f"/{name}/Add/output_0"])

    def layer_norm_node(x: str, prefix: str, name: str) -> str:
        return node(
            "LayerNormalization",
            [x, init(f"{name}.weight", w[prefix + ".g"]), init(f"{name}.bias", w[prefix + ".b"])],
            [f"/{name}/LayerNorm/output_0"],
            axis=-1,
            epsilon=CFG["eps"],
        )

    # Masks -> seqlens_k [batch] int32 and total_sequence_length scalar int32.
    one64 = init("one_i64", np.array(1, dtype=np.int64))
    axes1 = init("axes_1", np.array([1], dtype=np.int64))
    rs = node("ReduceSum", ["attention_mask", axes1], ["/model/attn_mask_reformat/ReduceSum/output_0"], keepdims=0)
    sub = node("Sub", [rs, one64], ["/model/attn_mask_reformat/Sub/output_0"])
    seqlens = node("Cast", [sub], ["/model/attn_mask_reformat/seqlens_k"], to=TensorProto.INT32)
    shp = node("Shape", ["attention_mask"], ["/model/attn_mask_reformat/Shape/output_0"])
    gat = node("Gather", [shp, one64], ["/model/attn_mask_reformat/Gather/output_0"], axis=0)
    total = node("Cast", [gat], ["/model/attn_mask_reformat/total_seq_len"], to=TensorProto.INT32)

    cos_c, sin_c = rotary_cache()
    cos_name = init("cos_cache", cos_c)
    sin_name = init("sin_cache", sin_c)

    x = node("Gather", [init("model.embed_tokens.weight", w["embed"]), "input_ids"],
             ["/model/embed_tokens/Gather/output_0"], axis=0)
    for i in range(CFG["layers"]):
        p = f"layers.{i}"
        L = f"model/layers.{i}"
        h = layer_norm_node(x, p + ".ln1", f"{L}/input_layernorm")
        q = linear(h, p + ".q", f"{L}/attn/q_proj")
        k = linear(h, p + ".k", f"{L}/attn/k_proj")
        v = linear(h, p + ".v", f"{L}/attn/v_proj")
        a = node(
            "GroupQueryAttention",
            [q, k, v, f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens, total,
             cos_name, sin_name],
            [f"/{L}/attn/GroupQueryAttention/output_0", f"present.{i}.key", f"present.{i}.value"],
            domain="com.microsoft",
            num_heads=nh,
            kv_num_heads=nkv,
            do_rotary=1,
            rotary_interleaved=0,
        )
        o = linear(a, p + ".o", f"{L}/attn/o_proj")
        x = node("Add", [x, o], [f"/{L}/residual_add_attn/output_0"])
        m = layer_norm_node(x, p + ".ln2", f"{L}/post_attention_layernorm")
        f1 = linear(m, p + ".fc1", f"{L}/mlp/fc1")
        # gelu_tanh(u) = 0.5 * u * (1 + tanh(sqrt(2/pi) * (u + 0.044715 * u^3)))
        G = f"/{L}/mlp/gelu"
        u3 = node("Mul", [node("Mul", [f1, f1], [f"{G}/sq"]), f1], [f"{G}/cube"])
        inner = node("Add", [f1, node("Mul", [u3, init(f"{G}/c0", np.array(0.044715, np.float32))], [f"{G}/cu"])],
                     [f"{G}/inner"])
        th = node("Tanh", [node("Mul", [inner, init(f"{G}/c1", np.array(math.sqrt(2.0 / math.pi), np.float32))],
                                [f"{G}/scaled"])], [f"{G}/tanh"])
        onep = node("Add", [th, init(f"{G}/one", np.array(1.0, np.float32))], [f"{G}/onep"])
        half = node("Mul", [f1, init(f"{G}/half", np.array(0.5, np.float32))], [f"{G}/halfu"])
        g = node("Mul", [half, onep], [f"{G}/output_0"])
        f2 = linear(g, p + ".fc2", f"{L}/mlp/fc2")
        x = node("Add", [x, f2], [f"/{L}/residual_add_mlp/output_0"])
    x = layer_norm_node(x, "final_ln", "model/final_norm")
    mm = node("MatMul", [x, init("lm_head.MatMul.weight", w["lm_head.w"])], ["/lm_head/MatMul/output_0"])
    node("Add", [mm, init("lm_head.Add.bias", w["lm_head.b"])], ["logits"])

    F32, I64 = TensorProto.FLOAT, TensorProto.INT64
    inputs = [
        helper.make_tensor_value_info("input_ids", I64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", I64, ["batch_size", "total_sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", F32, ["batch_size", "sequence_length", V])]
    for i in range(CFG["layers"]):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(
                f"past_key_values.{i}.{kind}", F32, ["batch_size", nkv, "past_sequence_length", d]))
            outputs.append(helper.make_tensor_value_info(
                f"present.{i}.{kind}", F32, ["batch_size", nkv, "total_sequence_length", d]))
    graph = helper.make_graph(nodes, "gqa-tiny", inputs, outputs, initializer=inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
        producer_name="litmus tools/build_genai_fixture.py",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# ----------------------------------------------------------------------------------------------
def genai_config() -> dict:
    return {
        "model": {
            "bos_token_id": EOT_ID,
            "eos_token_id": EOT_ID,
            "pad_token_id": EOT_ID,
            "context_length": CFG["context"],
            "vocab_size": CFG["vocab"],
            "type": "phi",
            "decoder": {
                "filename": "model.onnx",
                "head_size": CFG["head_size"],
                "hidden_size": CFG["hidden"],
                "num_attention_heads": CFG["heads"],
                "num_key_value_heads": CFG["kv_heads"],
                "num_hidden_layers": CFG["layers"],
                "inputs": {
                    "input_ids": "input_ids",
                    "attention_mask": "attention_mask",
                    "past_key_names": "past_key_values.%d.key",
                    "past_value_names": "past_key_values.%d.value",
                },
                "outputs": {
                    "logits": "logits",
                    "present_key_names": "present.%d.key",
                    "present_value_names": "present.%d.value",
                },
            },
        },
        "search": {"max_length": CFG["context"]},
    }


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO / "tests" / "fixtures" / "gqa-tiny"))
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--search-seeds", type=int, default=0,
                    help="print the greedy margin of seeds --seed.. --seed+N-1 and write nothing")
    args = ap.parse_args()

    if args.search_seeds:
        for s in range(args.seed, args.seed + args.search_seeds):
            ref = reference(s)
            eos = sum(p["stopped_by_eos"] for p in ref["prompts"])
            distinct = len({t for p in ref["prompts"] for t in p["greedy_ids"]})
            print(f"seed {s}: min margin {ref['min_greedy_margin']:.5f}, eos stops {eos}, distinct tokens {distinct}")
        return 0

    ref = reference(args.seed)
    if ref["min_greedy_margin"] <= 1e-3:
        print(f"seed {args.seed}: min greedy margin {ref['min_greedy_margin']} <= 1e-3; pick another seed",
              file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = build_model(make_weights(args.seed))
    (out / "model.onnx").write_bytes(model.SerializeToString())
    write_json(out / "genai_config.json", genai_config())
    write_json(out / "tokenizer.json", tokenizer_json())
    write_json(out / "tokenizer_config.json", {
        "bos_token": EOT, "eos_token": EOT, "unk_token": EOT, "model_max_length": CFG["context"],
    })
    write_json(out / "reference.json", ref)
    sha = hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest()
    cmd = ["/usr/bin/python3", "tools/build_genai_fixture.py"] + sys.argv[1:]
    write_json(out / "build-info.json", {
        "tool": "tools/build_genai_fixture.py",
        "command": " ".join(cmd),
        "seed": args.seed,
        "config": CFG,
        "numpy": np.__version__,
        "onnx": onnx.__version__,
        "sha256": {"model.onnx": sha},
    })
    print(f"wrote {out} (seed {args.seed}, min greedy margin {ref['min_greedy_margin']:.5f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
