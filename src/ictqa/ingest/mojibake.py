"""Repair lines of UTF-8 text that were once read as Shift_JIS.

A joined テキスト版 file can carry a page whose UTF-8 bytes went through a
Shift_JIS (CP932) decoder before the file was saved again as UTF-8 (令和3年版
has three: "繧｢縲鬮倬ｽ｢閠�↓縺翫￠繧…" is "ア　高齢者における…").  Such a line
is read back by encoding it to CP932 again and decoding the bytes as UTF-8.

Not every byte survives the first mis-decoding: a byte pair that is not a
CP932 character became one U+FFFD, so a few characters are lost.  Each run of
lost bytes is filled in with what the UTF-8 structure allows (usually a few
hundred characters), kept only if its characters occur in the rest of the file,
and chosen by how often the file itself writes it between the same
neighbours ("デ" in "ア　デンマーク" because the file writes デンマーク
elsewhere).  Where the file gives no evidence, U+FFFD stays: a guess is never
written in.

Pure functions of the text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

# A line is taken for mojibake when kana (the bulk of any Japanese sentence)
# are nearly absent and the CP932 tell-tales are common: half-width katakana
# (a UTF-8 continuation byte read alone) and the kanji that UTF-8 lead bytes
# E3 8x/E3 81 turn into (繧, 縺, 繝, 縲 …).
MIN_TELLTALE_SHARE = 0.25
MAX_KANA_SHARE = 0.2
MIN_LINE = 4
MAX_LOST_SHARE = 0.2  # a repair that loses more than this is no repair
_TELLTALE = re.compile(r"[\uff61-\uff9f\ufffd縺繧繝縲譁蜿螟荳莠豕逕謨譛邨隱]")
_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa]")

_LEADS = [b for b in range(0x81, 0xA0)] + [b for b in range(0xE0, 0xFD)]
_TRAILS = [b for b in range(0x40, 0x7F)] + [b for b in range(0x80, 0xFD)]


def _undecodable(lead: int, trail: int) -> bool:
    try:
        bytes((lead, trail)).decode("cp932")
    except UnicodeDecodeError:
        return True
    return False


# Byte pairs a Shift_JIS decoder turns into one U+FFFD.
_LOST_PAIRS = frozenset((lead, trail) for lead in _LEADS for trail in _TRAILS if _undecodable(lead, trail))


@dataclass(frozen=True)
class Repair:
    """One repaired line: where it was (in the original text) and what it became."""

    start: int
    end: int
    text: str
    lost: int  # characters left as U+FFFD


def looks_mojibake(line: str) -> bool:
    s = line.strip()
    if len(s) < MIN_LINE:
        return False
    tell = len(_TELLTALE.findall(s))
    kana = len(_KANA.findall(s))
    return tell >= MIN_TELLTALE_SHARE * len(s) and kana <= MAX_KANA_SHARE * len(s)


def repair_text(text: str) -> tuple[str, list[Repair]]:
    """``text`` with its mis-decoded lines repaired, and what was repaired."""
    bad = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if looks_mojibake(m.group(0))]
    if not bad:
        return text, []
    model = _Model(text, bad)
    out: list[str] = []
    repairs: list[Repair] = []
    pos = 0
    for a, b in bad:
        fixed = _repair_line(text[a:b], model)
        if fixed is None or looks_mojibake(fixed) or fixed.count("\ufffd") > MAX_LOST_SHARE * len(fixed):
            continue  # not mis-decoded UTF-8 after all: leave it as it is
        out.append(text[pos:a])
        out.append(fixed)
        repairs.append(Repair(a, b, fixed, fixed.count("\ufffd")))
        pos = b
    out.append(text[pos:])
    return "".join(out), repairs


class _Model:
    """Character statistics of the file's clean lines."""

    def __init__(self, text: str, bad: list[tuple[int, int]]) -> None:
        parts: list[str] = []
        pos = 0
        for a, b in bad:
            parts.append(text[pos:a])
            pos = b
        parts.append(text[pos:])
        clean = "\n".join(parts)
        self.chars = Counter(clean)
        self.vocab = set(self.chars)
        self.bigrams = Counter(clean[i : i + 2] for i in range(len(clean) - 1))
        self.trigrams = Counter(clean[i : i + 3] for i in range(len(clean) - 2))
        self.fills: dict[tuple[bytes, int, bytes, bool], list[tuple[str, bytes]]] = {}  # memo of _fills

    def attested(self, left: str, middle: str, right: str) -> bool:
        """Whether the clean text writes each character of ``middle``
        between the same neighbours: the trigram centred on it; where one
        neighbour is a space, a bracket or punctuation (no evidence), the
        trigram running into the other side."""
        window = left[-2:] + middle + right[:2]
        lo = len(left[-2:])
        for i in range(lo, lo + len(middle)):
            c = window[i]
            lw = i - 1 >= 0 and _wordish(window[i - 1])
            rw = i + 1 < len(window) and _wordish(window[i + 1])
            if lw and rw:
                ok = self.trigrams[window[i - 1 : i + 2]] > 0
            elif rw:
                ok = (self.trigrams[window[i : i + 3]] if i + 2 < len(window) else self.bigrams[window[i : i + 2]]) > 0
            elif lw:
                ok = (self.trigrams[window[i - 2 : i + 1]] if i - 2 >= 0 else self.bigrams[window[i - 1 : i + 1]]) > 0
            else:
                ok = self.chars[c] > 0
            if not ok:
                return False
        return True

    def support(self, left: str, middle: str, right: str) -> float:
        """How well the file supports ``middle`` between its neighbours:
        for each of its characters, the trigrams and bigrams around it that
        the clean text writes (log counts), and a little for the character
        itself."""
        window = left[-2:] + middle + right[:2]
        lo = len(left[-2:])
        score = 0.0
        for i in range(lo, lo + len(middle)):
            c = window[i]
            score += 0.1 * math.log1p(self.chars[c])
            for a, b in ((i - 1, i + 2), (i - 2, i + 1), (i, i + 3)):
                if a >= 0 and b <= len(window):
                    score += math.log1p(self.trigrams[window[a:b]])
            for a, b in ((i - 1, i + 1), (i, i + 2)):
                if a >= 0 and b <= len(window):
                    score += 0.5 * math.log1p(self.bigrams[window[a:b]])
        return score


def _wordish(ch: str) -> bool:
    """A neighbour that says something about the character next to it (not
    a space, a bracket, punctuation or a lost character)."""
    return ch.isalnum() or ch in "ー々"


# An atom of a mis-decoded line: known bytes, or a lost run (None).
Atom = bytes | None


def _atoms(line: str) -> list[Atom] | None:
    atoms: list[Atom] = []
    for ch in line:
        if ch == "\ufffd":
            atoms.append(None)
            continue
        try:
            atoms.append(ch.encode("cp932"))
        except UnicodeEncodeError:
            if ch == "\x80":
                atoms.append(b"\x80")
            else:
                return None
    return atoms


def _repair_line(line: str, model: _Model) -> str | None:
    """The line as it was before it was mis-decoded (lost characters that
    the file gives no evidence for stay U+FFFD).  Two passes: the second
    judges each lost run with what the first found on both sides of it."""
    first = _repair_pass(line, model, None)
    if first is None:
        return None
    second = _repair_pass(line, model, first)
    return "".join(second) if second is not None else "".join(first)


def _repair_pass(line: str, model: _Model, previous: list[str] | None) -> list[str] | None:
    """One pass; returns the output pieces (known text and fills
    alternating, so that a second pass finds each fill's neighbours)."""
    atoms = _atoms(line)
    if atoms is None:
        return None
    # Runs of known bytes, each followed by a number of lost runs.
    runs: list[tuple[bytes, int]] = []
    buf = bytearray()
    holes = 0
    for atom in atoms:
        if atom is None:
            holes += 1
            continue
        if holes:
            runs.append((bytes(buf), holes))
            buf, holes = bytearray(), 0
        buf += atom
    runs.append((bytes(buf), holes))
    head = _feed(runs[0][0])
    if head is None:
        return None
    out: list[str] = [head[0]]
    opens: set[bytes] = {head[1]}
    for k, (_, lost) in enumerate(runs):
        if not lost:
            continue
        # The next known bytes' leading continuation bytes close the
        # character the lost runs left open; the rest decodes on its own.
        nxt = runs[k + 1][0] if k + 1 < len(runs) else b""
        cont = len(nxt) - len(nxt.lstrip(bytes(_CONT)))
        closing, rest = nxt[:cont], nxt[cont:]
        may_stay_open = not rest and k + 1 < len(runs) and runs[k + 1][1] > 0
        fed_rest = _feed(rest) if rest else ("", b"")
        if fed_rest is None:
            return None
        ascii_next = not rest or rest[0] < 0x80  # the line's newline is ASCII too
        if previous is not None and len(previous) > len(out) + 1:
            right = "".join(previous[len(out) + 1 :])[:3]
        else:
            right = fed_rest[0][:3]
        chars, opens = _best_fill(opens, lost, closing, "".join(out)[-3:], right, model, ascii_next, may_stay_open)
        out.append(chars)
        out.append(fed_rest[0] if rest else "")
        if rest:
            opens = {fed_rest[1]}
    if any(opens):
        out.append("\ufffd")
    return out


def _split_partial(b: bytes) -> tuple[bytes, bytes]:
    """``b`` as (complete characters, the bytes of a character cut at its end)."""
    for cut in range(len(b), max(-1, len(b) - 4), -1):
        try:
            b[:cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return b[:cut], b[cut:]
    return b"", b


def _need(partial: bytes) -> int:
    """How many continuation bytes the UTF-8 character begun in ``partial`` lacks."""
    if not partial:
        return 0
    lead = partial[0]
    size = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0
    return max(0, size - len(partial))


def _feed(b: bytes) -> tuple[str, bytes] | None:
    """``b`` decoded as far as its characters are complete: (text, the
    bytes of a character still open), or None if ``b`` is not UTF-8."""
    head, tail = _split_partial(b)
    if len(tail) > 3 or (tail and (_need(tail[:1]) == 0 or any(not 0x80 <= x <= 0xBF for x in tail[1:]))):
        return None
    try:
        return head.decode("utf-8"), tail
    except UnicodeDecodeError:
        return None


def _best_fill(
    partials: set[bytes],
    lost: int,
    closing: bytes,
    left: str,
    right: str,
    model: _Model,
    next_ascii: bool,
    may_stay_open: bool,
) -> tuple[str, set[bytes]]:
    """The characters that an open character (one of ``partials``),
    ``lost`` lost runs and the continuation bytes ``closing`` were, and the
    bytes of a character they may leave open (only when more lost bytes
    follow).

    Several strings usually fit the bytes.  One is taken when it is the only
    one, or when the file attests it and nothing else: each of its
    characters occurs in the clean text between the same neighbours (see
    :meth:`_Model.attested`).  Otherwise the characters on which the
    candidates differ stay U+FFFD: a lost character is never guessed."""
    options: dict[str, set[bytes]] = {}
    for partial in partials:
        for chars, open_bytes in _fills(partial, lost, closing, model.vocab, next_ascii, model.fills):
            if open_bytes and not may_stay_open:
                continue
            options.setdefault(chars, set()).add(open_bytes)
        if len(options) > MAX_OPTIONS:
            break
    if not options:
        return "\ufffd" * lost, {b""}
    if len(options) == 1:
        (only,) = options
        return only, options[only]
    attested = [o for o in options if model.attested(left, o, right)]
    if len(attested) == 1:
        return attested[0], options[attested[0]]
    if len(attested) > 1:
        ranked = sorted(attested, key=lambda o: (-model.support(left, o, right), o))
        if model.support(left, ranked[0], right) - model.support(left, ranked[1], right) >= MARGIN:
            return ranked[0], options[ranked[0]]
    pool = attested or list(options)
    width = max(len(o) for o in pool)
    if any(len(o) != width for o in pool):
        return "\ufffd" * lost, set().union(*options.values())
    agreed = "".join(pool[0][i] if all(o[i] == pool[0][i] for o in pool) else "\ufffd" for i in range(width))
    return agreed, set().union(*(options[o] for o in pool))


# How much more support (in log counts) the chosen filling needs than the
# next one: about e times the evidence.  On 令和3年版's three mis-decoded
# pages it settles most lost characters and leaves the rest U+FFFD (e.g.
# "台湾（?スク": the file writes マスク only twice and never after "（").
MARGIN = 1.0
MAX_OPTIONS = 5000

_CONT = range(0x80, 0xC0)
_CONT_LEADS = range(0x81, 0xA0)  # continuation bytes that are also Shift_JIS lead bytes
# Lost pairs by the shape they take in UTF-8: two continuation bytes; a
# continuation byte then a 3-byte lead; a 3-byte lead then a continuation byte.
_PAIRS_CC = [(a, b) for a in _CONT_LEADS for b in _CONT if (a, b) in _LOST_PAIRS]
_PAIRS_C3 = [(a, b) for a in _CONT_LEADS for b in range(0xE0, 0xF0) if (a, b) in _LOST_PAIRS]
_PAIRS_3C = [(a, b) for a in range(0xE0, 0xF0) for b in _CONT if (a, b) in _LOST_PAIRS]


def _char(bs: bytes) -> str | None:
    """The character of one complete 2- or 3-byte UTF-8 sequence, or None."""
    if len(bs) == 3 and 0xE0 <= bs[0] <= 0xEF:
        cp = ((bs[0] & 0x0F) << 12) | ((bs[1] & 0x3F) << 6) | (bs[2] & 0x3F)
        return chr(cp) if cp >= 0x800 and not 0xD800 <= cp <= 0xDFFF else None
    if len(bs) == 2 and 0xC2 <= bs[0] <= 0xDF:
        return chr(((bs[0] & 0x1F) << 6) | (bs[1] & 0x3F))
    return None


def _size(lead: int) -> int:
    return 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 0


def _fills(
    partial: bytes,
    holes: int,
    closing: bytes,
    vocab: set[str],
    next_ascii: bool,
    cache: dict[tuple[bytes, int, bytes, bool], list[tuple[str, bytes]]] | None = None,
) -> list[tuple[str, bytes]]:
    """What ``holes`` lost runs after the open character ``partial`` and
    before the continuation bytes ``closing`` can have been: (characters
    completed, bytes of a character still open).

    A lost run is a byte pair the decoder could not map, or -- before an
    ASCII byte -- a lead byte alone.  Only pairs that keep the bytes valid
    UTF-8 are tried: inside a character both bytes are continuation bytes
    (80–BF); a character can only start with E0–EF here (the other UTF-8
    leads are not Shift_JIS leads)."""
    cache = {} if cache is None else cache
    key = (partial, holes, closing, next_ascii)
    hit = cache.get(key)
    if hit is not None:
        return hit
    out: list[tuple[str, bytes]] = []
    if partial and _size(partial[0]) == 0:
        pass
    elif holes == 0:
        b = partial + closing
        if not b:
            out.append(("", b""))
        elif _size(b[0]) and len(b) < _size(b[0]):
            out.append(("", b))
        elif _size(b[0]) and len(b) == _size(b[0]):
            ch = _char(b)
            if ch is not None and ch in vocab:
                out.append((ch, b""))
    else:
        need = _size(partial[0]) - len(partial) if partial else 0
        if need >= 2:
            for x, y in _PAIRS_CC:
                ch = _char(partial + bytes((x, y)))
                if ch is not None and ch in vocab:
                    out.extend((ch + more, rest) for more, rest in _fills(b"", holes - 1, closing, vocab, next_ascii, cache))
        elif need == 1:
            for x, y in _PAIRS_C3:
                ch = _char(partial + bytes((x,)))
                if ch is not None and ch in vocab:
                    out.extend(
                        (ch + more, rest) for more, rest in _fills(bytes((y,)), holes - 1, closing, vocab, next_ascii, cache)
                    )
            if holes == 1 and next_ascii and not closing:
                # A lead byte lost alone: the byte after it is ASCII (or the line's end).
                for x in (*_CONT_LEADS, 0xA0):
                    ch = _char(partial + bytes((x,)))
                    if ch is not None and ch in vocab:
                        out.append((ch, b""))
        else:
            for x, y in _PAIRS_3C:
                out.extend(_fills(bytes((x, y)), holes - 1, closing, vocab, next_ascii, cache))
    cache[key] = out
    return out
