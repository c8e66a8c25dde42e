#!/usr/bin/env python3
"""The leanest decode loop there is: onnxruntime's Python API, present.* fed back as past.

onnxruntime's Python binding hands outputs over as numpy arrays without copying them, so unlike a
bare onnxruntime-node loop (which copies every output, the whole KV cache each step) this loop pays
for nothing but the graph. benchmarks/runner/full-size.ts sets litmus against it. Benchmark-time
only (pyenv's python3 with onnxruntime and numpy).
Usage: python3 ort_bare_loop.py MODEL_DIR '[prompt ids]' '[tokens]' THREADS
Loads the model once, then runs one round (prefill + one step per token but the last) for each
line read on stdin and prints its figures as one JSON line (ms per decode step, prefill ms), so a
caller can alternate its own rounds with these under the same load.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def main() -> None:
    model_dir, prompt_json, tokens_json, threads = sys.argv[1:5]
    prompt, tokens = json.loads(prompt_json), json.loads(tokens_json)
    so = ort.SessionOptions()
    if int(threads) > 0:
        so.intra_op_num_threads = int(threads)
        so.inter_op_num_threads = 1
    session = ort.InferenceSession(f"{model_dir}/model.onnx", so, providers=["CPUExecutionProvider"])
    past_inputs = [i for i in session.get_inputs() if i.name.startswith("past_key_values.")]
    outputs = [o.name for o in session.get_outputs()]
    print(json.dumps({"ready": True, "onnxruntime": ort.__version__}), flush=True)
    for _ in sys.stdin:
        feeds = {
            "input_ids": np.array([prompt], np.int64),
            "attention_mask": np.ones((1, len(prompt)), np.int64),
            "position_ids": np.arange(len(prompt), dtype=np.int64)[None, :],
        }
        for i in past_inputs:
            feeds[i.name] = np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32)
        t0 = time.perf_counter()
        out = dict(zip(outputs, session.run(outputs, feeds)))
        t1 = time.perf_counter()
        length = len(prompt)
        for token in tokens[:-1]:
            feeds = {
                "input_ids": np.array([[token]], np.int64),
                "attention_mask": np.ones((1, length + 1), np.int64),
                "position_ids": np.array([[length]], np.int64),
            }
            for i in past_inputs:
                feeds[i.name] = out[i.name.replace("past_key_values", "present")]
            out = dict(zip(outputs, session.run(outputs, feeds)))
            length += 1
        t2 = time.perf_counter()
        print(json.dumps({"prefill_ms": (t1 - t0) * 1000,
                          "ms_per_step": (t2 - t1) * 1000 / max(1, len(tokens) - 1)}), flush=True)


if __name__ == "__main__":
    main()
