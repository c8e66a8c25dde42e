#!/usr/bin/env python3
"""How fast onnxruntime's fp32 GEMV streams weights, without the rest of a model around it.

A chain of 40 [1, 2048] x [2048, 8192] products (2.7 GB of fp32 weights, too large for any cache;
each output sliced back to 2048 columns to feed the next), as MatMul or as Gemm with transB, run
with onnxruntime's Python API; prints the best of 10 runs and the weight bytes read per second.
Set GLIBC_TUNABLES=glibc.malloc.hugetlb=1 to run it on huge pages, as bin/litmus runs litmus.
Benchmark-time only (pyenv's python3 with onnx and onnxruntime).
Usage: python3 gemv_chain.py matmul|gemm THREADS [WORK_DIR]   (the models are built into WORK_DIR)
"""
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

K, N, LAYERS = 2048, 8192, 40


def build(kind: str, path: str) -> None:
    rng = np.random.default_rng(0)
    nodes, inits, x = [], [], "x"
    for i in range(LAYERS):
        w = (rng.standard_normal((K, N)) * 0.01).astype(np.float32)
        if kind == "matmul":
            inits.append(numpy_helper.from_array(w, f"w{i}"))
            nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"y{i}"]))
        else:
            inits.append(numpy_helper.from_array(np.ascontiguousarray(w.T), f"w{i}"))
            nodes.append(helper.make_node("Gemm", [x, f"w{i}"], [f"y{i}"], transB=1))
        nodes.append(helper.make_node("Slice", [f"y{i}", "s0", "s1", "ax"], [f"x{i}"]))
        x = f"x{i}"
    for name, value in (("s0", 0), ("s1", K), ("ax", 1)):
        inits.append(numpy_helper.from_array(np.array([value], np.int64), name))
    graph = helper.make_graph(
        nodes, "gemv_chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, K])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, K])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    onnx.save(model, path, save_as_external_data=True, location=os.path.basename(path) + ".data")


def main() -> None:
    kind, threads = sys.argv[1], int(sys.argv[2])
    work = sys.argv[3] if len(sys.argv) > 3 else "/tmp/litmus-gemv-chain"
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, f"{kind}.onnx")
    if not os.path.exists(path):
        build(kind, path)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    x = np.full((1, K), 0.01, np.float32)
    for _ in range(3):
        session.run(None, {"x": x})
    best = float("inf")
    for _ in range(10):
        t0 = time.perf_counter()
        session.run(None, {"x": x})
        best = min(best, time.perf_counter() - t0)
    huge = [line.split()[1] for line in open("/proc/self/smaps_rollup") if line.startswith("AnonHugePages")]
    print(f"{kind}, {threads} threads: best {best * 1000:.1f} ms, {K * N * 4 * LAYERS / best / 1e9:.1f} GB/s"
          f" of weights; {huge[0] if huge else '?'} kB on huge pages")


if __name__ == "__main__":
    main()
