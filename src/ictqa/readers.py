"""Reading corpus files into text: the I/O edge of ingestion.

:func:`read_source` turns one ``.txt``, ``.pdf``, ``.html`` or ``.htm`` file into
a :class:`SourceText`; everything after it (parser, chunker) is pure.  Every way
a file can be unusable (missing, too big, binary, garbled, image-only...) ends
here as an :class:`IctqaError` that names the file, so a bad file is reported
and skipped instead of being indexed as garbage.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import io
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal

from .errors import IctqaError

log = logging.getLogger(__name__)

SourceKind = Literal["text", "pdf", "html"]
KINDS: dict[str, SourceKind] = {".txt": "text", ".pdf": "pdf", ".html": "html", ".htm": "html"}
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
SIDECAR_SUFFIX = ".meta.json"

# A document is rejected as garbled above this share of unexpected characters;
# a single PDF page (with enough text to judge) above the page limit.
GARBAGE_LIMIT = 0.05
PAGE_GARBAGE_LIMIT = 0.30
PAGE_MIN_CHARS = 40


@dataclass(frozen=True)
class SourceText:
    """A file's text as the parser sees it.

    ``text`` has "\\n" newlines and the source's own characters (no NFKC), so
    every offset into it is a stable citation anchor.  ``pages[i]`` is where
    page ``i + 1`` starts in ``text`` (PDF only)."""

    path: Path
    text: str
    encoding: str  # codec the bytes were decoded with ("utf-8", "cp932", ...), or "pdf"
    sha256: str  # of the raw bytes
    pages: tuple[int, ...] = ()
    kind: SourceKind = "text"
    language: str = "ja"

    def page_at(self, offset: int) -> int | None:
        """1-based page holding character ``offset``, or None for non-PDF text."""
        if not self.pages:
            return None
        return bisect.bisect_right(self.pages, offset) or None


def read_source(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText:
    """Read one corpus file; raise :class:`IctqaError` naming it if it is unusable."""
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise IctqaError(
            f"{path}: unsupported file type {path.suffix or '(no extension)'!r}",
            expected="a .txt, .pdf, .html or .htm file",
        )
    raw = _read_bytes(path, max_bytes)
    if not raw.strip(b" \t\r\n\f\v") or raw in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        raise IctqaError(f"{path} is empty", fix="remove it or put the white-paper text in it")
    pages: tuple[int, ...] = ()
    if kind == "pdf":
        text, pages = _read_pdf(raw, path)
        encoding = "pdf"
    elif kind == "html":
        text, encoding = _read_html(raw, path)
    else:
        text, encoding = _decode_text(raw, path)
    if not text.strip():
        raise IctqaError(f"{path} has no text", fix="remove it or put the white-paper text in it")
    _check_garbage(path, text, pages)
    return SourceText(
        path=path,
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(raw).hexdigest(),
        pages=pages,
        kind=kind,
        language=detect_language(text),
    )


def iter_corpus_files(paths: Sequence[Path]) -> list[Path]:
    """The corpus files named by ``paths``: files as given, folders searched
    recursively for .txt/.pdf/.html/.htm, skipping hidden files and folders and
    ``*.meta.json`` sidecars.  Sorted by path so builds are reproducible."""
    found: dict[Path, Path] = {}  # resolved → as given, so two spellings count once
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if not d.startswith(".")]  # prune .git etc.
                for name in files:
                    if _is_corpus_name(name):
                        q = Path(root) / name
                        found.setdefault(q.resolve(), q)
        elif p.exists():
            # A file named explicitly is taken even if hidden; read_source
            # reports it if it is not a regular, readable file.
            if p.suffix.lower() not in KINDS or p.name.lower().endswith(SIDECAR_SUFFIX):
                raise IctqaError(
                    f"{p}: unsupported file type {p.suffix or '(no extension)'!r}",
                    expected="a .txt, .pdf, .html or .htm file, or a folder of them",
                )
            found.setdefault(p.resolve(), p)
        else:
            raise IctqaError(f"{p} does not exist", fix="check the path")
    return sorted(found.values(), key=lambda q: q.as_posix())


def _is_corpus_name(name: str) -> bool:
    low = name.lower()
    return not name.startswith(".") and not low.endswith(SIDECAR_SUFFIX) and Path(low).suffix in KINDS


def detect_language(text: str) -> str:
    """Return "ja" when kana/kanji make up at least 30% of the letters, else "en".

    Japanese white-paper text carries many Latin acronyms (ICT, 5G, AI) but
    stays well above 30%; an English text quoting a few Japanese names stays
    far below it.  Text with no letters at all counts as Japanese, the corpus
    default."""
    sample = text[:200_000]
    ja = len(_JA_CHARS.findall(sample))
    latin = len(_LATIN.findall(sample))
    return "ja" if ja >= 0.3 * (ja + latin) else "en"


_JA_CHARS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")


# ---------------------------------------------------------------- bytes


def _read_bytes(path: Path, max_bytes: int) -> bytes:
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


def _decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    text, codec = _decode_bytes(raw, path)
    return _normalise_newlines(text), codec


def _decode_bytes(raw: bytes, path: Path, declared: str | None = None) -> tuple[str, str]:
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


def _normalise_newlines(text: str) -> str:
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


def _check_garbage(path: Path, text: str, pages: tuple[int, ...]) -> None:
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


# ---------------------------------------------------------------- PDF


def _read_pdf(raw: bytes, path: Path) -> tuple[str, tuple[int, ...]]:
    # pypdf over pdfminer.six: on the test PDFs both decode Japanese, but pypdf
    # keeps ～ (U+FF5E) as printed where pdfminer maps it to 〜 (U+301C), and it
    # is pure Python with no dependencies.
    import pypdf
    from pypdf.errors import DependencyError

    if b"%PDF-" not in raw[:1024]:
        raise IctqaError(f"{path} is not a PDF (no %PDF- header)", fix="check the file, or give it the right extension")
    if b"%%EOF" not in raw[-2048:]:
        raise IctqaError(
            f"{path} is a truncated PDF (no %%EOF marker at its end)",
            fix="download the PDF again",
        )
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IctqaError(f"{path} is a password-protected PDF", fix="save an unprotected copy")
        page_texts = []
        for page in reader.pages:
            page_texts.append(_normalise_newlines(page.extract_text() or "").rstrip())
    except IctqaError:
        raise
    except DependencyError as e:
        raise IctqaError(f"{path} is an encrypted PDF and needs {e}", fix="pip install cryptography") from e
    except Exception as e:  # pypdf raises many types on malformed input; all mean "broken file"
        raise IctqaError(f"{path} is a damaged PDF ({type(e).__name__}: {e})", fix="download the PDF again") from e
    if not any(t.strip() for t in page_texts):
        raise IctqaError(
            f"{path} has no extractable text ({len(page_texts)} page(s), probably scanned images)",
            expected="a PDF with a text layer, such as MIC's white-paper PDFs",
            fix="OCR it first, or use MIC's HTML or text version of the same pages",
        )
    starts, pos = [], 0
    for t in page_texts:
        starts.append(pos)
        pos += len(t) + 1  # the "\n" that joins pages
    return "\n".join(page_texts), tuple(starts)


# ---------------------------------------------------------------- HTML

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CHARSET_ALIASES = {
    # Browsers treat every Shift_JIS label as windows-31j (cp932); MIC's pages
    # rely on that for ①, Ⅱ and ～.
    **dict.fromkeys(
        ("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "ms932"), "cp932"
    ),
    **dict.fromkeys(("euc-jp", "eucjp", "x-euc-jp", "cseucpkdfmtjapanese"), "euc_jp"),
    **dict.fromkeys(("iso-2022-jp", "csiso2022jp"), "iso2022_jp"),
    **dict.fromkeys(("utf-8", "utf8", "unicode-1-1-utf-8"), "utf-8"),
}


def _read_html(raw: bytes, path: Path) -> tuple[str, str]:
    declared = None
    m = _META_CHARSET.search(raw[:4096])
    if m:
        label = m.group(1).decode("ascii").lower()
        declared = _CHARSET_ALIASES.get(label)
        if declared is None:
            try:
                declared = codecs.lookup(label).name
            except LookupError:
                log.warning("%s: unknown charset %r; detecting instead", path, label)
    html, codec = _decode_bytes(raw, path, declared)
    text = html_to_text(html)
    if not text.strip():
        raise IctqaError(
            f"{path} has no text outside navigation, scripts and styles",
            expected="a white-paper page with body text",
            fix="save the page itself (not a frame or index page), or remove the file",
        )
    return text, codec


def html_to_text(html: str) -> str:
    """Main text of a page: one block per paragraph/list item/heading, blocks
    separated by a blank line, headings in MIC web-text form ("第2節　…")."""
    parser = _TextExtractor(use_main=bool(_HAS_MAIN.search(html)))
    parser.feed(html)
    parser.close()
    return "\n\n".join(_tidy(parser.blocks))


def _tidy(blocks: list[str]) -> list[str]:
    """Drop what MIC pages repeat: the banner's "第N節 …" when the same heading
    follows in the body, and an image's "図表… の図" label after its caption."""
    out = []
    for i, b in enumerate(blocks):
        if _STRUCT_HEAD.match(b) and b in blocks[i + 1 :]:
            continue
        if out and b in (out[-1] + "の図", out[-1] + "の表"):
            continue
        out.append(b)
    return out


_HAS_MAIN = re.compile(r"<main[\s>]|role\s*=\s*[\"']?main\b", re.I)
_SKIP_TAGS = frozenset(
    "head script style noscript template nav header footer aside form button select textarea "
    "iframe svg object map".split()
)
_VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_BLOCK_TAGS = frozenset(
    "address article blockquote caption dd div dl dt figcaption figure li main ol p pre section table "
    "tbody thead tfoot tr ul body html".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# id/class words of page chrome.  Matched as whole words of the attribute
# (split at -, _, spaces and camelCase) so that "contents" or "subheading" stay.
_CHROME_WORDS = frozenset(
    "header footer nav navi navigation gnav lnav snav menu breadcrumb breadcrumbs pankuzu topicpath "
    "pagetop gotop totop backtotop skip sidebar sns share search banner utility".split()
)
_CHROME_LINE = re.compile(
    r"^[▲△↑^]?\s*(?:(?:この)?ページ(?:の)?(?:トップ|先頭|上)|先頭|トップ)(?:へ|に)?(?:戻る)?$"
    r"|^(?:前|次)の(?:ページ|項目)へ?$|^目次(?:へ|に戻る)?$|^戻る$|^(?:page\s*top|back\s*to\s*top|top of page)$"
    r"|^総務省トップ\s*[>＞]|^テキスト形式のファイルはこちら$|^印刷用(?:ページ|PDF)",
    re.I,
)
_BREADCRUMB_SEP = re.compile(r"\s*[>＞›»]\s*")
_WS = re.compile(r"[ \t\r\n\f\u00a0]+")


class _TextExtractor(HTMLParser):
    def __init__(self, use_main: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.use_main = use_main
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, is main)
        self.skip = 0  # open elements whose content is dropped
        self.main = 0  # open <main> elements
        self.heading = 0
        self.buf: list[str] = []
        self.blocks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            if tag == "br" and self.heading:  # "第1節<br>タイトル" stays one heading
                self.buf.append(" ")
            elif tag == "br":
                self._flush()
            return
        if tag == "body" and any(t == "head" for t, _, _ in self.stack):
            self.handle_endtag("head")  # </head> may be omitted
        a = dict(attrs)
        # An HTML5 <header>/<footer> inside <main> belongs to the content.
        skipped = (tag in _SKIP_TAGS and not (self.main and tag in ("header", "footer"))) or _is_chrome(a)
        is_main = tag == "main" or (a.get("role") or "").lower() == "main"
        self.stack.append((tag, skipped, is_main))
        self.skip += skipped
        self.main += is_main
        if tag in _HEADINGS:
            self._flush()
            self.heading += 1
        elif tag in _BLOCK_TAGS and not self.heading:
            self._flush()
        elif tag in ("td", "th"):
            self.buf.append(" ")

    def handle_endtag(self, tag: str) -> None:
        # Pop up to the matching tag: HTML often leaves <p> and <li> unclosed.
        if not any(t == tag for t, _, _ in self.stack):
            return
        while self.stack:
            t, skipped, is_main = self.stack.pop()
            self.skip -= skipped
            self.main -= is_main
            if t in _HEADINGS:
                self._flush(heading=True)
                self.heading -= 1
            elif t in _BLOCK_TAGS and not self.heading:
                self._flush()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip and (self.main or not self.use_main):
            self.buf.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self, heading: bool = False) -> None:
        line = _squash("".join(self.buf)).strip(" \u3000")
        self.buf = []
        if not line or _is_chrome_line(line):
            return
        self.blocks.append(_heading_line(line) if heading else _structural_line(line))


def _is_chrome(attrs: dict[str, str | None]) -> bool:
    words = set()
    for key in ("id", "class"):
        value = re.sub(r"([a-z])([A-Z])", r"\1 \2", attrs.get(key) or "")
        words.update(w for w in re.split(r"[-_\s]+", value.lower()) if w)
        words.add(re.sub(r"[-_\s]+", "", value.lower()))  # "page-top" → "pagetop"
    return bool(words & _CHROME_WORDS)


def _is_chrome_line(line: str) -> bool:
    if _CHROME_LINE.search(line):
        return True
    parts = _BREADCRUMB_SEP.split(line)
    # "総務省トップ > 政策 > 白書 > 令和5年版 > …": three or more short crumbs.
    return len(parts) >= 3 and all(0 < len(p) <= 40 for p in parts)


def _squash(s: str) -> str:
    """Collapse HTML whitespace; drop a line break between two wide characters
    (browsers show it as a space, which is wrong inside Japanese text)."""

    def repl(m: re.Match[str]) -> str:
        if "\n" in m.group() or "\r" in m.group():
            before, after = s[m.start() - 1 : m.start()], s[m.end() : m.end() + 1]
            if before and after and _wide(before) and _wide(after):
                return ""
        return " "

    return _WS.sub(repl, s)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_NUM = r"[0-9０-９]+"
_KANA = r"[ア-ン]"
_STRUCT_HEAD = re.compile(rf"^第\s*({_NUM}|[一二三四五六七八九十]+|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ])\s*([部章節])[\s\u3000]*(\S.*)$")
_PAREN_HEAD = re.compile(rf"^[（(]\s*({_NUM}|{_KANA})\s*[）)][\s\u3000]*(\S.*)$")
# Outside heading elements a space after the number is required, so that
# "第5章第3節「…」を参照" stays a sentence.
_BANNER_HEAD = re.compile(rf"^第\s*({_NUM}|[一二三四五六七八九十]+|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ])\s*([部章節])[\s\u3000]+(\S.*)$")
_PLAIN_HEAD = re.compile(rf"^({_NUM}|{_KANA})[\s\u3000]+(\S.*)$")


def _heading_line(line: str) -> str:
    """Rewrite a heading element's text as MIC web text writes headings:
    number, an ideographic space, title ("第8節　…", "1　…", "（1）　…", "ア　…")."""
    m = _STRUCT_HEAD.match(line)
    if m:
        return f"第{m.group(1).translate(_DIGITS)}{m.group(2)}\u3000{m.group(3)}"
    m = _PAREN_HEAD.match(line)
    if m:
        return f"（{m.group(1).translate(_DIGITS)}）\u3000{m.group(2)}"
    m = _PLAIN_HEAD.match(line)
    if m and len(m.group(1)) <= 2:
        return f"{m.group(1).translate(_DIGITS)}\u3000{m.group(2)}"
    return line


def _structural_line(line: str) -> str:
    """A short non-heading block that reads "第2部 …" / "第8節 …" is MIC's page
    banner naming where the page sits: give it the heading form too.  Numbered
    paragraphs ("1　…") are left alone because footnotes look the same."""
    if len(line) <= 60 and _BANNER_HEAD.match(line):
        return _heading_line(line)
    return line
