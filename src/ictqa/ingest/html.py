"""HTML → text: the main text of a MIC white-paper page, one block per
paragraph, headings rewritten in the MIC web-text form ("第2節　…", "1　…").

Reader contract (see :mod:`ictqa.ingest`): the text is in the ``web`` dialect,
whatever the page's own markup, because this module writes its headings so.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from ..errors import IctqaError
from .decode import decode_bytes

log = logging.getLogger(__name__)

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


def read_html(raw: bytes, path: Path) -> tuple[str, str]:
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
    html, codec = decode_bytes(raw, path, declared)
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
    out: list[str] = []
    for i, b in enumerate(blocks):
        if _STRUCT_HEAD.match(b) and b in blocks[i + 1 :]:
            continue
        if out and b in (out[-1] + "の図", out[-1] + "の表"):
            continue
        out.append(b)
    return out


_HAS_MAIN = re.compile(r"<main[\s>]|role\s*=\s*[\"']?main\b", re.I)
_SKIP_TAGS = frozenset(
    "head script style noscript template nav header footer aside form button select textarea iframe svg object map".split()
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
    words: set[str] = set()
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
