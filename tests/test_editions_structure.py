"""Issue #14 acceptance over the whole archive: the 24 editions 2000–2023.

* each edition's tree equals its golden file (tests/data/structure/editions/,
  written from the texts by hand, not from the parser): 部/章/節 for all 24,
  every heading down to （ア） for the six full-depth ones;
* no footnote, source line or caption is a heading anywhere in the archive,
  and no leaf heading holds more than 8% of an edition's text;
* every passage of an edition whose page list aligns has its MIC page
  (≥ 95%), and the page's code agrees with the passage's heading numbers;
* 平成18年版, whose page codes count pages instead of naming headings, gets
  no page address at all (never a guessed one), and says why.

Each edition is parsed once for the module; everything skips cleanly
without ``../shared`` (the ``full_editions`` fixture).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from ictqa.chunks import chunk_document
from ictqa.documents import BOX, CHAPTER, ITEM, PART, SECTION, SUBITEM, SUBKANA, Heading
from ictqa.ingest import read_source
from ictqa.ingest.editions import load_meta
from ictqa.parse import parse_document
from ictqa.parse.check import LEAF_SHARE_WARNING, largest_leaf, outline_lines
from ictqa.parse.pagecodes import INTRO, JOSETSU, decode

pytestmark = pytest.mark.shared

GOLDEN = Path(__file__).resolve().parent / "data" / "structure" / "editions"
NAMES = sorted(p.name.split(".")[0] for p in GOLDEN.glob("*.golden.txt"))
NO_PAGES = {"h18_2006"}  # page codes that count pages (see page_codes_h12-h18.md)
MIN_URL_SHARE = 0.95
# Share of passages whose page code names the headings they sit under.  The
# rest are places where the codes and the text disagree and the text is
# followed: r03's 序章 補論 (its codes name each page one item too low after
# the unpaged item 2; the figures 図表0-2-2-… confirm the text), h27's page
# (4) that prints （3） again, h21's pages that repeat a （1） in a box.
MIN_CODE_AGREEMENT = 0.95

_cache: dict[str, SimpleNamespace] = {}


def _edition(full: Path, name: str) -> SimpleNamespace:
    if name not in _cache:
        source = read_source(full / f"{name}.txt")
        parsed = parse_document(source)
        meta = load_meta(source, None)
        _cache[name] = SimpleNamespace(source=source, parsed=parsed, meta=meta)
    return _cache[name]


def _golden(name: str) -> tuple[bool, list[str]]:
    text = (GOLDEN / f"{name}.golden.txt").read_text(encoding="utf-8")
    full = "# depth: full" in text
    return full, [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _key(line: str) -> str:
    """A line as the golden README says lines compare: the indentation, then
    the text after NFKC with all whitespace removed."""
    indent = len(line) - len(line.lstrip(" "))
    return f"{indent}:" + re.sub(r"\s+", "", unicodedata.normalize("NFKC", line))


def _same(golden: str, got: str) -> bool:
    """Equal keys; a U+FFFD in the parser's line stands for one character the
    text itself lost (r03's three mis-decoded pages: where the bytes allow
    several characters and the file writes none of them between the same
    neighbours, the parser leaves U+FFFD instead of guessing; the golden
    file's choice there came from other editions, e.g. 相談・苦情等)."""
    if golden == got:
        return True
    return "\ufffd" in got and len(golden) == len(got) and all(a == b or b == "\ufffd" for a, b in zip(golden, got))


@pytest.mark.parametrize("name", NAMES)
def test_tree_equals_golden(full_editions: Path, name: str) -> None:
    full, golden = _golden(name)
    e = _edition(full_editions, name)
    got = outline_lines(e.parsed.sections, max_level=SUBKANA if full else SECTION)
    gk, ok = [_key(x) for x in golden], [_key(x) for x in got]
    for i, (a, b) in enumerate(zip(gk, ok)):
        if not _same(a, b):
            context = "\n".join(f"  golden {g!r}\n  parser {p!r}" for g, p in zip(golden[i : i + 3], got[i : i + 3]))
            pytest.fail(f"{name}: line {i + 1} of the golden tree differs:\n{context}")
    assert len(gk) == len(ok), f"{name}: golden has {len(gk)} lines, the parser {len(ok)}"


# What a heading never is (issue 14: each of these was once read as one).
_NOT_HEADINGS = [
    re.compile(r"https?:|www\."),  # an address
    re.compile(r"（出典）|出典[：:]|資料[：:]"),  # a source line
    re.compile(r"を参照"),  # a pointer: "…については、付注1を参照"
    re.compile(r"^図表"),  # a caption
    re.compile(r"(?:より|を基に|総務省)作成$|資料$"),  # "…より総務省作成", "ITU資料"
    re.compile(r"[^\x00-\x7f０-９][0-9]{1,2}$"),  # a footnote marker left on ("…の現状1")
]
_ISSUE_EXAMPLES = [
    "都道府県別ユビキタス指数の算出の詳細については",
    "NSPIXP、JPIX及びJPNAPの集計",
    "ITU資料",
    "Apple Watch（出典）",
    "内閣府　平成30年北海道胆振東部地震",
    "分析の詳細については、付注11を参照",
]


def test_no_footnote_source_or_caption_is_a_heading(full_editions: Path) -> None:
    bad: list[str] = []
    for name in NAMES:
        for s in _edition(full_editions, name).parsed.sections:
            for h in s.path:
                if h.level == BOX:
                    continue
                title = h.title
                if any(p.search(title) for p in _NOT_HEADINGS) or any(x in title for x in _ISSUE_EXAMPLES):
                    bad.append(f"{name}: {h.text}")
    assert not bad, "\n".join(sorted(set(bad))[:20])


@pytest.mark.parametrize("name", NAMES)
def test_no_leaf_holds_more_than_8_percent(full_editions: Path, name: str) -> None:
    leaf = largest_leaf(_edition(full_editions, name).parsed.sections)
    assert leaf is not None
    assert leaf.share <= LEAF_SHARE_WARNING, (name, [h.text for h in leaf.path], f"{leaf.share:.1%}")


def _agrees(path: tuple[Heading, ...], slots: tuple[tuple[int, str], ...]) -> bool:
    """Whether a page code's heading numbers are those of the path a passage
    is cited under.  A level the path lacks is read one deeper (r03's 序章
    and 第3章 number their items in the 節 digit, as はじめに does), a 補論
    takes a 節 digit, 序章/はじめに are 章 0."""
    at = {h.level: h for h in path}
    for level, number in slots:
        h = at.get(level)
        if level == SECTION and h is not None and h.number == "補論":
            continue
        if level == CHAPTER and number == "0" and h is not None and h.number in ("0", ""):
            continue
        if level == SECTION and number in (INTRO, JOSETSU) and h is not None and h.number in ("", "0"):
            continue
        if h is not None and h.number == number:
            continue
        deeper = at.get(level + 1)
        if level in (SECTION, ITEM) and deeper is not None and deeper.number == number:
            continue
        return False
    return True


@pytest.mark.parametrize("name", [n for n in NAMES if n not in NO_PAGES])
def test_passages_link_their_mic_page(full_editions: Path, name: str) -> None:
    e = _edition(full_editions, name)
    assert e.parsed.pages is not None, e.parsed.notes
    total = linked = agree = checked = 0
    disagree: Counter[str] = Counter()
    for s in e.parsed.sections:
        # Boxes ride on the page of the heading before them: only the
        # headings above the box are the page's.
        cut = next((i for i, h in enumerate(s.path) if h.level == BOX), len(s.path))
        path = s.path[:cut]
        for c in chunk_document([s], e.meta, pages=e.parsed.pages):
            total += 1
            if not c.citation.url:
                continue
            linked += 1
            assert re.fullmatch(
                r"https://www\.soumu\.go\.jp/johotsusintokei/whitepaper/ja/[hr]\d\d/html/[^/]+\.html?", c.citation.url
            )
            code = decode(re.sub(r"/html/(.+)\.html?$", r"/text/\1.txt", c.citation.url))
            if code.kind != "body" or not path:
                continue
            deepest = max(h.level for h in path)
            slots = tuple(sl for sl in code.slots if cut == len(s.path) or sl[0] <= deepest)
            checked += 1
            if _agrees(path, slots):
                agree += 1
            else:
                disagree[code.code] += 1
    assert linked / total >= MIN_URL_SHARE, f"{name}: {linked} of {total} passages have a page ({linked / total:.1%})"
    assert agree / checked >= MIN_CODE_AGREEMENT, f"{name}: {agree}/{checked}; {disagree.most_common(5)}"


def test_page_codes_that_count_pages_give_no_address(full_editions: Path) -> None:
    e = _edition(full_editions, "h18_2006")
    assert e.parsed.pages is None and e.parsed.pages_placed == 0
    assert any("pages not aligned" in n and "cannot be told" in n for n in e.parsed.notes), e.parsed.notes
    chunks = chunk_document(e.parsed.sections, e.meta, pages=e.parsed.pages)
    assert chunks and all(c.citation.url is None for c in chunks)


def test_titles_and_labels_by_edition(full_editions: Path) -> None:
    h12 = _edition(full_editions, "h12_2000")
    assert (h12.meta.edition, h12.meta.year) == ("平成12年版 通信白書", 2000)
    h13 = _edition(full_editions, "h13_2001")
    assert h13.meta.edition == "平成13年版 情報通信白書"
    # 平成12年版 prints no 章/節: they are inferred, numbered, untitled
    heads = [s.path[-1] for s in h12.parsed.sections if s.path and s.path[-1].level in (CHAPTER, SECTION)]
    assert all(h.inferred for h in heads if h.number)
    chunks = chunk_document(h12.parsed.sections, h12.meta, pages=h12.parsed.pages)
    labels = {c.citation.label for c in chunks}
    assert any(label.startswith("平成12年版 通信白書 第1章第2節 2(1)") for label in labels)
    assert any(label.startswith("平成12年版 通信白書 第1章序節 1 ") for label in labels)


def test_parts_inferred_with_the_titles_the_file_gives(full_editions: Path) -> None:
    def parts(name: str) -> list[Heading]:
        return [s.path[-1] for s in _edition(full_editions, name).parsed.sections if s.path and s.path[-1].level == PART]

    # r05 gives no 部 titles anywhere: inferred from the page codes, untitled
    assert [(h.number, h.title, h.inferred) for h in parts("r05_2023")] == [("1", "", True), ("2", "", True)]
    # h29 takes them from its 図表索引; h21 prints 第2部, so 第1部 before it is inferred
    assert [h.title for h in parts("h29_2017")] == ["特集　データ主導経済と社会変革", "基本データと政策動向"]
    assert [(h.number, h.inferred) for h in parts("h21_2009")] == [("1", True), ("2", False)]


def test_subitems_keep_their_brackets_in_paths(full_editions: Path) -> None:
    e = _edition(full_editions, "r05_2023")
    chunks = chunk_document(e.parsed.sections, e.meta, pages=e.parsed.pages)
    target = next(c for c in chunks if c.citation.url and c.citation.url.endswith("/nd258120.html"))
    assert target.citation.path == ("1 概要", "（2）今後の課題と方向性")
    assert target.citation.label.startswith("令和5年版 情報通信白書 第5章第8節 1(2) 今後の課題と方向性")
    assert {h.level for s in e.parsed.sections for h in s.path} >= {SUBITEM}


@pytest.mark.parametrize(
    ("name", "line"), [("h25_2013", 67), ("h26_2014", 62), ("h27_2015", 75), ("h28_2016", 66), ("h15_2003", 1)]
)
def test_the_body_starts_after_the_front_pages(full_editions: Path, name: str, line: int) -> None:
    """The ポイント/凡例 pages (golden notes: h25 lines 1–67, h26 1–62, h27
    1–75, h28 1–66) are front matter; h15's 第1節, printed at line 1 and
    again at the top of its next page (line 28), starts at line 1."""
    e = _edition(full_editions, name)
    first = next(s for s in e.parsed.sections if s.path)
    assert first.start is not None
    assert e.source.text.count("\n", 0, first.start) + 1 == line
