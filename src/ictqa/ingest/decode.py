"""Bytes → text: size and type checks, encoding detection, and the check
that refuses garbled text (fonts without a Unicode map, mojibake).

Every way a file can be unusable ends here as an :class:`IctqaError` that
names the file, so a bad file is reported and skipped instead of being
indexed as garbage.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

from ..errors import IctqaError

log = logging.getLogger(__name__)

# A document is rejected as garbled above this share of unexpected characters;
# a single PDF page (with enough text to judge) above the page limit.
GARBAGE_LIMIT = 0.05
PAGE_GARBAGE_LIMIT = 0.30
PAGE_MIN_CHARS = 40


def read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():  # os.walk lists a dangling link as a file
            raise IctqaError(
                f"{path} is a link to {os.readlink(path)}, which does not exist",
                fix="point the link at the file, or remove it",
            ) from None
        raise IctqaError(f"{path} does not exist", fix="check the path") from None
    except OSError as e:
        raise IctqaError(f"{path} cannot be read ({e.strerror or e})", fix="check its permissions") from e
    if stat.S_ISDIR(st.st_mode):
        raise IctqaError(f"{path} is a folder, not a file", fix="rename it or pass the files inside it")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        raise IctqaError(f"{path} is not a regular file", fix="copy the text into an ordinary file")
    # Checked before reading so that a huge file is refused at once.
    if st.st_size > max_bytes:
        raise _too_large(path, st.st_size, max_bytes)
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as e:
        raise IctqaError(f"{path} cannot be read ({e.strerror or e})", fix="check its permissions") from e
    if len(raw) > max_bytes:  # it grew after stat()
        raise _too_large(path, len(raw), max_bytes)
    return raw


def _too_large(path: Path, size: int, limit: int) -> IctqaError:
    return IctqaError(
        f"{path} is too large ({size / 2**20:.1f} MB; the limit is {limit / 2**20:.1f} MB)",
        expected="one white-paper edition, chapter or section per file",
        fix="split it into smaller files (e.g. one chapter each)",
    )


# ---------------------------------------------------------------- plain text

# Candidates in order of preference: ties in plausibility go to the earlier.
# cp932 rather than shift_jis: MIC's Shift_JIS pages use the Windows extensions
# (①, ～, Ⅱ, ㈱) that plain shift_jis rejects.  euc_jis_2004 covers the same NEC
# row 13 (①...) and ～ that euc_jp cannot decode.
_CODECS = ("utf-8", "cp932", "euc_jp", "euc_jis_2004")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Valid UTF-8 this long is conclusive; shorter, EUC-JP bytes can form it too
# ("2022年" in EUC-JP is valid UTF-8 for "2022ǯ").
_UTF8_CONCLUSIVE = 4096
_SCORE_SAMPLE = 65536


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    text, codec = decode_bytes(raw, path)
    return normalise_newlines(text), codec


def decode_bytes(raw: bytes, path: Path, declared: str | None = None) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return _strict(raw, "utf-8-sig", path), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Windows "Unicode" text
        return _strict(raw, "utf-16", path), "utf-16"
    if b"\x00" in raw:
        raise _binary(path, "it contains NUL bytes")
    if declared:
        try:
            return raw.decode(declared), declared
        except UnicodeDecodeError:
            log.warning("%s: declared charset %s does not fit its bytes; detecting instead", path, declared)
    if b"\x1b$B" in raw or b"\x1b$@" in raw:  # ISO-2022-JP is 7-bit, so it would pass as UTF-8
        try:
            return raw.decode("iso2022_jp"), "iso2022_jp"
        except UnicodeDecodeError:
            pass
    best: tuple[float, str, str] | None = None
    for codec in _CODECS:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8" and (text.isascii() or len(raw) > _UTF8_CONCLUSIVE):
            return text, codec
        score = _plausibility(text[:_SCORE_SAMPLE])
        if codec == "utf-8" and any(ord(c) >= 0x800 for c in text):
            score += 1.0  # legacy byte pairs almost never align into 3-byte UTF-8
        if best is None or score > best[0]:
            best = (score, text, codec)
    if best is None or best[0] < 0.3:
        raise _binary(path, "its bytes are not valid UTF-8, Shift_JIS (CP932) or EUC-JP")
    log.debug("%s: decoded as %s (plausibility %.2f)", path, best[2], best[0])
    return best[1], best[2]


def _strict(raw: bytes, codec: str, path: Path) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        raise _binary(path, f"it starts like {codec} but does not decode as it") from None


# Characters of ordinary Japanese text besides kanji: ASCII, punctuation (…※“”),
# Roman numerals, arrows, ①, ■, kana and CJK punctuation, ㈱/㎡, full-width forms.
_COMMON = (
    (0x00, 0x7F),
    (0x2000, 0x206F),
    (0x2160, 0x21FF),
    (0x2460, 0x24FF),
    (0x25A0, 0x25FF),
    (0x3000, 0x30FF),
    (0x3200, 0x33FF),
    (0xFF01, 0xFF5E),
)
# Neither evidence for nor against: wrong and right decodes are both full of
# kanji, and a UTF-8 "é" or "μ" reads as a kanji in EUC-JP.
_NEUTRAL = ((0xA0, 0xFF), (0x370, 0x4FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF))


def _in(o: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(a <= o <= b for a, b in ranges)


def _plausibility(text: str) -> float:
    """How much a decode looks like Japanese or English text, at most 1.

    Shift_JIS and EUC-JP bytes often decode without error in the wrong codec,
    and short EUC-JP even as UTF-8, but the result is a soup of half-width
    katakana, Latin extensions or IPA; real text has ASCII, kana and
    full-width punctuation."""
    if _CONTROL.search(text):
        return -1.0
    good = other = halfwidth = 0
    for ch in text:
        o = ord(ch)
        if _in(o, _COMMON):
            good += 1
        elif 0xFF61 <= o <= 0xFF9F:
            halfwidth += 1
        elif not _in(o, _NEUTRAL):
            other += 1
    n = good + other + halfwidth
    if not n:  # nothing but kanji ("情報通信"): plausible, but no evidence either way
        return 0.5
    return (good - 2 * halfwidth - other) / n


def _binary(path: Path, why: str) -> IctqaError:
    return IctqaError(
        f"{path} is not readable text: {why}",
        expected="text in UTF-8, Shift_JIS (CP932) or EUC-JP",
        fix="re-save it as UTF-8 text, or remove it if it is not a document",
    )


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- garbage check

_CID = re.compile(r"\(cid:\d+\)")
# What a Japanese or English white paper can legitimately contain.  Anything
# else (controls, U+FFFD, private use, Latin-1 letters, Arabic, Devanagari...)
# is what text extraction produces when a font has no Unicode map: PDF
# extractors fall back to chr(glyph id), which lands in those blocks.
_OK_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0xBF),
    (0xD7, 0xD7),
    (0xF7, 0xF7),
    (0x370, 0x3FF),
    (0x400, 0x45F),  # Greek, basic Cyrillic (in every Japanese font)
    (0x2000, 0x27BF),  # punctuation, arrows, maths, ①, box drawing, shapes, dingbats
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals (some PDFs map kanji to these)
    (0x3000, 0x30FF),
    (0x3190, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF01, 0xFFEF),
    (0x20000, 0x3134F),
)
_UNEXPECTED = re.compile("[^\\s" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in _OK_RANGES) + "]")
_SPACE = re.compile(r"\s")


def _garbage(text: str) -> tuple[int, int, str]:
    """(unexpected characters, non-space characters, a few examples)."""
    text = _CID.sub("\ufffd", text)
    bad = _UNEXPECTED.findall(text)  # regexes, not a Python loop: files run to 64 MB
    total = len(text) - len(_SPACE.findall(text))
    examples = "".join(dict.fromkeys(bad))[:8]
    return len(bad), total, examples


def check_garbage(path: Path, text: str, pages: tuple[int, ...]) -> None:
    bad, total, examples = _garbage(text)
    bad_pages = []
    for i, start in enumerate(pages):
        end = pages[i + 1] if i + 1 < len(pages) else len(text)
        pb, pt, _ = _garbage(text[start:end])
        if pt >= PAGE_MIN_CHARS and pb > PAGE_GARBAGE_LIMIT * pt:
            bad_pages.append(i + 1)
    if total and (bad > GARBAGE_LIMIT * total or bad_pages):
        where = f" on page(s) {', '.join(map(str, bad_pages[:10]))}" if bad_pages else ""
        shown = ascii(examples) if examples else ""
        raise IctqaError(
            f"{path} extracts as garbled text{where} ({bad} of {total} characters are unexpected, e.g. {shown}); "
            "its fonts probably lack a Unicode map, or the text is mojibake",
            expected="Japanese or English text",
            fix="use MIC's HTML or text version of the same pages, or re-export or OCR the PDF",
        )
