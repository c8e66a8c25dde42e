#!/usr/bin/env bash
# litmus against a server no one here wrote: Hugging Face transformers' `transformers serve`.
#
# Converts the canary (models/canary) to a transformers model (tools/onnx_to_transformers.py, with
# the ChatML test template as its chat template), lays it out as a Hugging Face hub cache entry
# `litmus/canary` (transformers serve lists only cached models at /v1/models), starts
# `transformers serve` on 127.0.0.1, and runs four greedy audits of litmus-mini:
#   in-process ONNX, plain prompts        vs  --backend openai --api completions
#   in-process ONNX, the chat template    vs  --backend openai --api chat
# then prints, per pair, how many greedy completions are identical, and the notes litmus printed
# about what the server lacks. Needs `npx tsc -p tsconfig.json` first (dist/), and pyenv's python3
# with torch, transformers 5.x and its serving extras:
#   python3 -m pip install --index-url file:///opt/pypi/simple \
#     --extra-index-url file:///opt/pypi-more/simple --find-links /opt/wheels "transformers[serving]"
#
# Usage: bash tools/transformers-serve-compat.sh [LIMIT (problems, default 6)] [PORT (default 8769)]
# Outside CI (a Python server and a model conversion); the result is recorded in README.md.
set -euo pipefail

LIMIT="${1:-6}"
PORT="${2:-8769}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/litmus-tserve-XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

LITMUS=(node "$ROOT/dist/src/cli/main.js")
TEMPLATE="$ROOT/tests/fixtures/chat-templates/chatml.jinja"

echo "== converting the canary to a transformers model" >&2
"$PY" "$ROOT/tools/onnx_to_transformers.py" --onnx "$ROOT/models/canary" --out "$WORK/hf" \
  --chat-template "$TEMPLATE" >&2

# A hub cache entry: blobs named by sha256, a snapshot of links to them, refs/main naming it.
REV=0000000000000000000000000000000000000001
ENTRY="$WORK/hub/models--litmus--canary"
mkdir -p "$ENTRY/blobs" "$ENTRY/refs" "$ENTRY/snapshots/$REV"
printf %s "$REV" > "$ENTRY/refs/main"
for f in "$WORK/hf"/*; do
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  cp "$f" "$ENTRY/blobs/$sum"
  ln -s "../../blobs/$sum" "$ENTRY/snapshots/$REV/$(basename "$f")"
done

# The ONNX canary with the same chat template beside it, for the in-process chat audit.
mkdir -p "$WORK/canary-instruct"
cp "$ROOT/models/canary"/* "$WORK/canary-instruct/"
cp "$TEMPLATE" "$WORK/canary-instruct/chat_template.jinja"

echo "== starting transformers serve on 127.0.0.1:$PORT" >&2
HF_HUB_CACHE="$WORK/hub" HF_HUB_OFFLINE=1 transformers serve litmus/canary --host 127.0.0.1 \
  --port "$PORT" --device cpu > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 180); do
  if curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log" >&2; exit 3; fi
  sleep 1
done
curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null || { cat "$WORK/server.log" >&2; exit 3; }

COMMON=(--dataset litmus-mini --limit "$LIMIT" --format qa --n 0 --temperature 0 --max-new-tokens 48 --quiet)
SERVED=(--backend openai --endpoint "http://127.0.0.1:$PORT/v1" --model-name litmus/canary --concurrency 2)
run() { # name, args...
  local name=$1
  shift
  echo "== audit $name" >&2
  "${LITMUS[@]}" audit "$@" "${COMMON[@]}" --out "$WORK/$name" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
    cat "$WORK/$name.err" >&2
    exit 3
  }
}
run onnx-plain --model "$ROOT/models/canary" --chat-template none
run served-completions "${SERVED[@]}" --api completions
run onnx-chat --model "$WORK/canary-instruct"
run served-chat "${SERVED[@]}" --api chat

node --input-type=module - "$WORK" <<'EOF'
import { readFileSync } from "node:fs";
const work = process.argv[2];
const rows = (name) =>
  new Map(
    readFileSync(`${work}/${name}/samples.jsonl`, "utf8").trim().split("\n").map((l) => {
      const r = JSON.parse(l);
      return [r.request_id, r];
    }),
  );
const notes = (name) =>
  readFileSync(`${work}/${name}.err`, "utf8").split("\n").filter((l) => /note|warning/.test(l)).map((l) => l.replace(/^litmus: /, ""));
const table = [["API", "greedy completions", "identical text", "same finish reason", "litmus notes"], ["---", "---", "---", "---", "---"]];
for (const [api, local, served] of [["completions", "onnx-plain", "served-completions"], ["chat", "onnx-chat", "served-chat"]]) {
  const a = rows(local);
  const b = rows(served);
  let same = 0;
  let finish = 0;
  for (const [id, r] of a) {
    if (b.get(id)?.completion === r.completion) same++;
    if (b.get(id)?.finish_reason === r.finish_reason) finish++;
  }
  table.push([api, String(a.size), `${same}/${a.size}`, `${finish}/${a.size}`, notes(served).join("; ") || "none"]);
}
console.log(table.map((r) => `| ${r.join(" | ")} |`).join("\n"));
EOF
