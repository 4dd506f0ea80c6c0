"""Editions from file names and text, and sidecar metadata."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ictqa.documents import DocumentMeta, SourceText
from ictqa.errors import IctqaError
from ictqa.ingest.detect import detect_language
from ictqa.ingest.editions import EN_TITLE, detect_edition, edition_label, load_meta, read_sidecar

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "000_589c5af6fc00dccb.txt"

R5 = ("令和5年版 情報通信白書", 2023)
R6 = ("令和6年版 情報通信白書", 2024)
R1 = ("令和元年版 情報通信白書", 2019)
H30 = ("平成30年版 情報通信白書", 2018)
EN23 = (f"{EN_TITLE} 2023", 2023)
NONE = (None, None)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # file names
        ("r05_2023.txt", "", R5),
        ("r06_nd228210.txt", "", R6),
        ("R6-nd228210.html", "", R6),
        ("h30_chapter1.txt", "", H30),
        ("r1.txt", "", R1),
        ("令和5年版_第5章.txt", "", R5),
        ("WP2023_chapter5.pdf", "", EN23),
        ("wp-2023.txt", "", EN23),
        ("r05/html/nd258120.html", "", R5),  # MIC's folder layout
        ("ja/h30/text/nc123.txt", "", H30),
        ("report_2023.txt", "総務省の本文です。", R5),  # bare year, Japanese text
        ("report_2023.txt", "English body text.", EN23),  # bare year, English text
        ("report_2023.txt", "平成30年版 情報通信白書", R5),  # a year in the name beats the text
        ("r05_x.txt", "平成30年版 情報通信白書", R5),  # an era code beats the text
        ("nd228210.html", "", NONE),  # the "d2" inside is not an era code
        ("test_h30_0/x.txt", "", NONE),  # only whole folder names count
        ("chapter12.txt", "", NONE),
        # text
        ("x.txt", "令和5年版 情報通信白書\n第5章", R5),
        ("x.txt", "令和元年版情報通信白書", R1),
        ("x.txt", "平成30年版 情報通信白書", H30),
        ("x.txt", "令和５年版", R5),  # full-width digits
        ("x.txt", "令和 6 年版", R6),
        ("x.txt", "本文（令和4年版で述べた）。令和5年版では", ("令和4年版 情報通信白書", 2022)),  # first mention
        ("x.txt", "令和2年12月10日経協インフラ戦略会議決定", NONE),  # a date, not an edition
        ("x.txt", "令和5年度予算", NONE),
        ("x.txt", "あ" * 2100 + "令和5年版", NONE),  # too far into the text
        ("x.txt", "WHITE PAPER 2023 Information and Communications in Japan", EN23),
        ("x.txt", "Information and Communications in Japan White Paper 2002", (f"{EN_TITLE} 2002", 2002)),
        ("x.txt", "2023 WHITE PAPER", EN23),
        ("x.txt", "", NONE),
    ],
)
def test_detect_edition(name, text, expected):
    assert detect_edition(Path(name), text, detect_language(text)) == expected


def meta_of(path: Path, text: str, root: Path | None) -> DocumentMeta:
    """load_meta for a file whose text the reader decoded as ``text``."""
    return load_meta(SourceText(path=path, text=text, encoding="utf-8", sha256="", language=detect_language(text)), root)


def test_seed_names_no_edition_by_itself():
    assert detect_edition(SEED, SEED.read_text(encoding="utf-8")) == NONE


@pytest.mark.parametrize(
    ("year", "language", "label"),
    [
        (2023, "ja", "令和5年版 情報通信白書"),
        (2019, "ja", "令和元年版 情報通信白書"),
        (2018, "ja", "平成30年版 情報通信白書"),
        (1989, "ja", "平成元年版 通信白書"),  # 通信白書 until 2000 (issue 14)
        (2000, "ja", "平成12年版 通信白書"),
        (2001, "ja", "平成13年版 情報通信白書"),
        (2024, "en", f"{EN_TITLE} 2024"),
    ],
)
def test_edition_label(year, language, label):
    assert edition_label(year, language) == label


# ---------------------------------------------------------------- sidecars


def test_seed_sidecar():
    meta = meta_of(SEED, SEED.read_text(encoding="utf-8"), SEED.parent)
    assert meta.document == "000_589c5af6fc00dccb.txt"
    assert (meta.edition, meta.year, meta.language) == ("令和5年版 情報通信白書", 2023, "ja")
    assert (meta.chapter_number, meta.chapter_title) == ("5", "総務省におけるICT政策の取組状況")
    assert meta.licence == "CC BY 4.0"
    assert meta.attribution == "出典：総務省「情報通信白書」令和5年版"
    assert meta.source and meta.source.startswith("https://www.soumu.go.jp/johotsusintokei/whitepaper/ja/r05/")
    if "section" in {f.name for f in dataclasses.fields(DocumentMeta)}:
        assert meta.section == "第8節 ICT国際戦略の推進"  # type: ignore[attr-defined]


def _file(tmp_path: Path, rel: str, sidecar: object | None = None, *, long_name: bool = False) -> Path:
    p = tmp_path / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("本文", encoding="utf-8")
    if sidecar is not None:
        side = p.with_name(p.name + ".meta.json") if long_name else p.with_suffix(".meta.json")
        side.write_text(sidecar if isinstance(sidecar, str) else json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")
    return p


def test_document_id_is_relative_posix_path(tmp_path):
    p = _file(tmp_path, "corpus/r05/ch5.txt")
    assert meta_of(p, "本文", tmp_path / "corpus").document == "r05/ch5.txt"
    assert meta_of(p, "本文", None).document == "ch5.txt"
    assert meta_of(p, "本文", tmp_path / "elsewhere").document == "ch5.txt"


def test_no_sidecar_falls_back_to_detection(tmp_path):
    p = _file(tmp_path, "r06_nd228210.txt")
    assert meta_of(p, "総務省の本文", tmp_path) == DocumentMeta(
        document="r06_nd228210.txt", edition="令和6年版 情報通信白書", year=2024, language="ja"
    )
    assert meta_of(p, "English text about ICT policy.", tmp_path).language == "en"


@pytest.mark.parametrize("long_name", [False, True])
def test_sidecar_both_names(tmp_path, long_name):
    p = _file(tmp_path, "a.txt", {"edition": "平成30年版 情報通信白書", "chapter_number": 5}, long_name=long_name)
    meta = meta_of(p, "本文", tmp_path)
    assert (meta.edition, meta.year, meta.chapter_number) == ("平成30年版 情報通信白書", 2018, "5")


@pytest.mark.parametrize(
    ("sidecar", "edition", "year", "language"),
    [
        ({"year": 2024}, "令和6年版 情報通信白書", 2024, "ja"),  # label from the year
        ({"year": 2024, "language": "en"}, f"{EN_TITLE} 2024", 2024, "en"),
        ({"edition": "令和元年版 情報通信白書"}, "令和元年版 情報通信白書", 2019, "ja"),  # year from the label
        ({"edition": "WP 2022", "language": "en"}, "WP 2022", 2022, "en"),
        ({"edition": None, "year": None}, "令和5年版 情報通信白書", 2023, "ja"),  # nulls: detection (r05 name)
    ],
)
def test_sidecar_partial(tmp_path, sidecar, edition, year, language):
    p = _file(tmp_path, "r05_x.txt", sidecar)
    meta = meta_of(p, "本文", tmp_path)
    assert (meta.edition, meta.year, meta.language) == (edition, year, language)


@pytest.mark.parametrize(
    ("sidecar", "needle"),
    [
        ({"year": "2023"}, "key 'year' has \"2023\" (str). Expected: an integer year"),
        ({"year": True}, "key 'year'"),
        ({"language": "jp"}, 'key \'language\' has "jp" (str). Expected: "ja" or "en"'),
        ({"edition": 5}, "key 'edition' has 5 (int). Expected: a non-empty string"),
        ({"licence": ""}, "key 'licence'"),
        ({"chapter_number": True}, "key 'chapter_number'"),
        ({"section": ["第8節"]}, "key 'section'"),
        ({"license": "CC BY 4.0"}, "unknown key(s) license"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "holds a JSON list"),
    ],
)
def test_invalid_sidecar(tmp_path, sidecar, needle):
    p = _file(tmp_path, "bad.txt", sidecar)
    with pytest.raises(IctqaError) as e:
        meta_of(p, "本文", tmp_path)
    assert needle in e.value.message
    assert "bad.meta.json" in e.value.message


def test_read_sidecar_strips_and_skips_nulls(tmp_path):
    side = tmp_path / "x.meta.json"
    side.write_text(json.dumps({"chapter_title": "  総務省の取組  ", "source": None}), encoding="utf-8")
    assert read_sidecar(side) == {"chapter_title": "総務省の取組"}
