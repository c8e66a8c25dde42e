#!/usr/bin/env python3
"""Greedy decode time of transformers' own PhiForCausalLM (eager attention, fp32, PyTorch on CPU).

The baseline the runner benchmark (benchmarks/runner/full-size.ts) sets litmus against: the same
weights (the model folder tools/build_phi_model.py saves with save_pretrained), the same prompt
ids, the same number of threads. Prints one JSON object: ms per decode step (after the prefill),
prefill ms, the greedy tokens (so the caller can check both ran the same model).

Build-time / benchmark-time only (pyenv's python3 with torch and transformers); never a runtime
dependency of litmus.
Usage: python3 transformers_decode.py MODEL_DIR '[ids...]' NEW_TOKENS THREADS ROUNDS VOCAB_LIMIT
"""
import json
import sys
import time

import torch
from transformers import PhiForCausalLM


def main() -> None:
    model_dir, ids_json, new_tokens, threads, rounds, vocab_limit = sys.argv[1:7]
    ids = json.loads(ids_json)
    new_tokens, threads, rounds, limit = int(new_tokens), int(threads), int(rounds), int(vocab_limit)
    if threads > 0:
        torch.set_num_threads(threads)
    model = PhiForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    # Ids the tokenizer lacks (VOCAB_LIMIT and up) are never chosen, as in litmus.
    best_step, best_prefill, tokens = float("inf"), float("inf"), []
    with torch.inference_mode():
        for _ in range(rounds):
            t0 = time.perf_counter()
            out = model(input_ids=torch.tensor([ids]), use_cache=True)
            t1 = time.perf_counter()
            past = out.past_key_values
            tokens = [int(out.logits[0, -1, :limit].argmax())]
            for _ in range(new_tokens - 1):
                out = model(input_ids=torch.tensor([[tokens[-1]]]), past_key_values=past, use_cache=True)
                past = out.past_key_values
                tokens.append(int(out.logits[0, -1, :limit].argmax()))
            t2 = time.perf_counter()
            best_prefill = min(best_prefill, (t1 - t0) * 1000)
            best_step = min(best_step, (t2 - t1) * 1000 / (new_tokens - 1))
    print(json.dumps({
        "ms_per_step": best_step,
        "prefill_ms": best_prefill,
        "tokens": tokens,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
