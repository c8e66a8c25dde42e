#!/usr/bin/env python3
"""The weight bytes one decode step of a model must read: every initializer, except that a table
read only by Gather (as its data input: the token embedding) contributes one row, not the table.
The memory-bandwidth floor of a decode step is these bytes over the machine's read bandwidth.
Benchmark-time only (pyenv's python3 with onnx). Usage: python3 bytes_per_token.py MODEL.onnx
Prints one JSON line: {"all": bytes of all initializers, "per_token": bytes a step reads,
"gather_tables": {name: bytes}}.
"""
import json
import sys

import numpy as np
import onnx
from onnx import helper


def main() -> None:
    model = onnx.load(sys.argv[1], load_external_data=False)
    graph = model.graph
    consumers: dict[str, list[tuple[str, int]]] = {}
    for node in graph.node:
        for slot, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node.op_type, slot))
    total = per_token = 0
    tables = {}
    for init in graph.initializer:
        itemsize = np.dtype(helper.tensor_dtype_to_np_dtype(init.data_type)).itemsize
        size = int(np.prod(init.dims, dtype=np.int64)) * itemsize
        total += size
        uses = consumers.get(init.name, [])
        if uses and all(op == "Gather" and slot == 0 for op, slot in uses) and len(init.dims) == 2:
            tables[init.name] = size
            per_token += init.dims[1] * itemsize  # one row per token
        else:
            per_token += size
    print(json.dumps({"all": total, "per_token": per_token, "gather_tables": tables}))


if __name__ == "__main__":
    main()
