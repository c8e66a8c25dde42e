#!/usr/bin/env python3
"""Does onnxruntime run a node whose output nobody fetches? The KV cache's Concat, at full size.

Writes two copies of an optimum-layout model's graph beside it (the weights stay where they are,
named by the same relative external-data path): `split-keep.onnx`, attention computed over past
and new keys without reading `present.*` but the Concats and `present.*` outputs kept, and
`split-drop.onnx`, the same without them (what src/runner/split-attention.ts loads). Then times a
bare `session.run` of ROWS rows at past PAST, fetching only `logits`, for the graph as exported
and one of the two, alternated ROUNDS times (median ms). Checks first that the logits agree.
Set GLIBC_TUNABLES=glibc.malloc.hugetlb=1 to run it on huge pages, as bin/litmus runs litmus.
Benchmark-time only (pyenv's python3 with onnx and onnxruntime); the copies are removed after.
Usage: python3 unfetched_concat.py MODEL_DIR keep|drop ROWS PAST ROUNDS
"""
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper


def rewrite(src: str, dst: str, drop: bool) -> None:
    m = onnx.load(src, load_external_data=False)
    g = m.graph
    readers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    layers = sorted({int(i.name.split(".")[1]) for i in g.input if i.name.startswith("past_key_values.")})
    g.initializer.extend([
        helper.make_tensor("split_zero", TensorProto.INT64, [1], [0]),
        helper.make_tensor("split_last", TensorProto.INT64, [1], [-1]),
        helper.make_tensor("split_end", TensorProto.INT64, [1], [2**62]),
    ])
    removed, replaced = set(), {}
    for i in layers:
        pk, pv = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        ck = next(n for n in g.node if n.op_type == "Concat" and n.input[0] == pk)
        cv = next(n for n in g.node if n.op_type == "Concat" and n.input[0] == pv)
        (t,) = [r for r in readers[ck.output[0]] if r.op_type == "Transpose"]
        (scores,) = readers[t.output[0]]
        (mix,) = [r for r in readers[cv.output[0]] if r.op_type == "MatMul"]
        q, p, nk, nv, x = scores.input[0], mix.input[0], ck.input[1], cv.input[1], f"split{i}_"
        replaced[id(mix)] = [
            helper.make_node("Transpose", [pk], [x + "tpk"], perm=[0, 1, 3, 2]),
            helper.make_node("MatMul", [q, x + "tpk"], [x + "sp"]),
            helper.make_node("Transpose", [nk], [x + "tnk"], perm=[0, 1, 3, 2]),
            helper.make_node("MatMul", [q, x + "tnk"], [x + "sn"]),
            helper.make_node("Concat", [x + "sp", x + "sn"], [scores.output[0]], axis=-1),
            helper.make_node("Shape", [pv], [x + "L"], start=2, end=3),
            helper.make_node("Slice", [p, "split_zero", x + "L", "split_last"], [x + "p1"]),
            helper.make_node("Slice", [p, x + "L", "split_end", "split_last"], [x + "p2"]),
            helper.make_node("MatMul", [x + "p1", pv], [x + "o1"]),
            helper.make_node("MatMul", [x + "p2", nv], [x + "o2"]),
            helper.make_node("Add", [x + "o1", x + "o2"], [mix.output[0]]),
        ]
        removed |= {id(t), id(scores), id(mix)} | ({id(ck), id(cv)} if drop else set())
    nodes = []
    for n in g.node:
        if id(n) in replaced:
            nodes.extend(replaced[id(n)])
        elif id(n) not in removed:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    if drop:
        kept = [o for o in g.output if not o.name.startswith("present.")]
        del g.output[:]
        g.output.extend(kept)
    onnx.save(m, dst)


def main() -> None:
    folder, kind, rows, past, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    exported = os.path.join(folder, "model.onnx")
    variant = os.path.join(folder, f"split-{kind}.onnx")
    rewrite(exported, variant, kind == "drop")
    try:
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        sessions = [ort.InferenceSession(p, so, providers=["CPUExecutionProvider"]) for p in (exported, variant)]
    finally:
        os.remove(variant)
    first = sessions[0].get_inputs()
    past_names = [i.name for i in first if i.name.startswith("past_key_values.")]
    heads, head_dim = first[3].shape[1], first[3].shape[3]
    rng = np.random.default_rng(0)
    feeds = {
        "input_ids": rng.integers(0, 50000, (rows, 1)).astype(np.int64),
        "attention_mask": np.ones((rows, past + 1), np.int64),
        "position_ids": np.full((rows, 1), past, np.int64),
    }
    for n in past_names:
        feeds[n] = (rng.standard_normal((rows, heads, past, head_dim)) * 0.1).astype(np.float32)
    a, b = (s.run(["logits"], feeds)[0] for s in sessions)
    diff = float(np.abs(a - b).max())
    times: list[list[float]] = [[], []]
    for _ in range(rounds):
        for k, s in enumerate(sessions):
            t = time.perf_counter()
            s.run(["logits"], feeds)
            times[k].append((time.perf_counter() - t) * 1000)
    med = [float(np.median(t)) for t in times]
    print(f"exported {med[0]:.1f} ms, split-{kind} {med[1]:.1f} ms ({rows} rows, past {past}, logits max |diff| {diff:.2e})")


if __name__ == "__main__":
    main()
