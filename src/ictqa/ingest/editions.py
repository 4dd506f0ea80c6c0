"""Which white paper a file belongs to: edition, year and the other facts a
citation needs, from a sidecar ``<file>.meta.json`` or, failing that, from the
file's name and opening text.

Japanese editions are named by era year: 令和n年版 is the edition of 2018+n
(令和元年版 = 2019) and 平成n年版 that of 1988+n.  MIC's own file and folder
names use the same numbers (``r05`` = 令和5年版, ``h30`` = 平成30年版).  The
English edition of a year carries the Western year ("White Paper 2023").
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from ..documents import DocumentMeta, SourceText
from ..errors import IctqaError

log = logging.getLogger(__name__)

JA_SUFFIX = " 情報通信白書"
# Until 平成12年版 (2000) the white paper was the 通信白書; 平成13年版 (2001)
# was the first 情報通信白書 (令和4年版 says so in a footnote).
OLD_JA_SUFFIX = " 通信白書"
LAST_OLD_TITLE_YEAR = 2000
EN_TITLE = "Information and Communications in Japan White Paper"
_ERA_START = {"令和": 2018, "平成": 1988}  # year = start + era year
_ERA_CODE = {"r": "令和", "h": "平成"}
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
TEXT_WINDOW = 2000  # an edition named later than this is a citation of another one
SIDECAR_SUFFIX = ".meta.json"

_JA_EDITION = re.compile(r"(令和|平成)\s*([0-9０-９]{1,2}|元)\s*年版")
_EN_EDITION = re.compile(
    r"(?:white\s*paper|information\s+and\s+communications\s+in\s+japan)\D{0,40}?((?:19|20)\d\d)(?!\d)"
    r"|((?:19|20)\d\d)\s+white\s*paper",
    re.I,
)
# In a file name: "r05_2023", "h30-...", "R6"; not the "d2" inside "nd228210".
_NAME_ERA = re.compile(r"(?<![A-Za-z0-9])([rh])(\d{1,2})(?!\d)", re.I)
_NAME_WP = re.compile(r"(?<![A-Za-z0-9])wp[-_ ]?((?:19|20)\d\d)(?!\d)", re.I)
_NAME_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_DIR_ERA = re.compile(r"([rh])(\d{1,2})", re.I)  # a whole folder name, as in MIC's URLs


def edition_year(era: str, number: int) -> int:
    return _ERA_START[era] + number


def ja_title(year: int) -> str:
    """情報通信白書, or 通信白書 for the editions of 2000 and before."""
    return (OLD_JA_SUFFIX if year <= LAST_OLD_TITLE_YEAR else JA_SUFFIX).strip()


def edition_label(year: int, language: str = "ja") -> str:
    """The label of the edition published in ``year`` (2019 → 令和元年版
    情報通信白書, 2000 → 平成12年版 通信白書)."""
    if language == "en":
        return f"{EN_TITLE} {year}"
    if year >= 2019:
        n = year - 2018
        return f"令和{'元' if n == 1 else n}年版 {ja_title(year)}"
    n = year - 1988
    return f"平成{'元' if n == 1 else n}年版 {ja_title(year)}"


def _ja(era: str, number: str) -> tuple[str, int]:
    number = number.translate(_DIGITS)
    n = 1 if number == "元" else int(number)
    year = edition_year(era, n)
    return f"{era}{'元' if n == 1 else n}年版 {ja_title(year)}", year


def _from_name(path: Path) -> tuple[str | None, int | None]:
    name = path.name
    m = _JA_EDITION.search(name)
    if m:
        return _ja(m.group(1), m.group(2))
    m = _NAME_ERA.search(name)
    if m and int(m.group(2)) >= 1:
        return _ja(_ERA_CODE[m.group(1).lower()], m.group(2))
    m = _NAME_WP.search(name)
    if m:
        return edition_label(int(m.group(1)), "en"), int(m.group(1))
    # MIC lays its pages out as .../ja/r05/html/nd258120.html: a folder that is
    # exactly an era code names the edition.  Only whole folder names count,
    # so a temporary folder such as "test_h30_0" never does.
    for parent in list(path.parents)[:3]:
        m = _DIR_ERA.fullmatch(parent.name)
        if m and int(m.group(2)) >= 1:
            return _ja(_ERA_CODE[m.group(1).lower()], m.group(2))
    m = _NAME_YEAR.search(name)
    if m:
        return None, int(m.group(1))  # the label depends on the language
    return None, None


def _from_text(text: str) -> tuple[str | None, int | None]:
    head = text[:TEXT_WINDOW]
    ja, en = _JA_EDITION.search(head), _EN_EDITION.search(head)
    if ja and (not en or ja.start() <= en.start()):
        return _ja(ja.group(1), ja.group(2))
    if en:
        year = int(en.group(1) or en.group(2))
        return edition_label(year, "en"), year
    return None, None


def detect_edition(path: Path, text: str, language: str = "ja") -> tuple[str | None, int | None]:
    """(edition label, year) from the file name when it names one, else from the
    first edition mentioned in the opening text; (None, None) when neither does.
    ``language`` (the text's, as the reader found it) labels a bare year.

    >>> detect_edition(Path("r06_nd228210.txt"), "")
    ('令和6年版 情報通信白書', 2024)
    """
    label, year = _from_name(Path(path))
    if label:
        return label, year
    text_label, text_year = _from_text(text)
    if year is None:
        return text_label, text_year
    if text_year == year:
        return text_label, year
    # A bare year in the name: label it in the text's language.
    return edition_label(year, language), year


# ---------------------------------------------------------------- sidecars

_STR_KEYS = ("edition", "chapter_title", "section", "source", "licence", "attribution")
ALLOWED_KEYS = ("edition", "year", "language", "chapter_number", *_STR_KEYS[1:])


def sidecar_path(path: Path) -> Path | None:
    """``x.txt.meta.json`` if present, else ``x.meta.json`` if present."""
    for candidate in (path.with_name(path.name + SIDECAR_SUFFIX), path.with_suffix(SIDECAR_SUFFIX)):
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(sidecar: Path) -> dict[str, Any]:
    """The validated keys of a sidecar; null values are left out."""
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise IctqaError(f"{sidecar} cannot be read ({e.strerror or e})", fix="check its permissions") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise IctqaError(f"{sidecar} is not valid JSON ({e})", fix="fix the JSON or delete the sidecar") from e
    if not isinstance(data, dict):
        raise IctqaError(f"{sidecar} holds a JSON {type(data).__name__}", expected="a JSON object of metadata keys")
    unknown = sorted(set(data) - set(ALLOWED_KEYS))
    if unknown:
        raise IctqaError(
            f"{sidecar} has unknown key(s) {', '.join(unknown)}",
            expected="only " + ", ".join(ALLOWED_KEYS),
            fix="correct the spelling (note: licence) or remove the key",
        )
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key == "year":
            ok = isinstance(value, int) and not isinstance(value, bool) and 1900 < value < 2200
            want = "an integer year such as 2023"
        elif key == "language":
            ok = value in ("ja", "en")
            want = '"ja" or "en"'
        elif key == "chapter_number":
            # 5 and "5" are the same chapter; a number is the natural thing to write.
            ok = (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.strip() != "")
            value = str(value).strip() if ok else value
            want = 'a string such as "5" (or an integer)'
        else:
            ok = isinstance(value, str) and value.strip() != ""
            value = value.strip() if ok else value
            want = "a non-empty string"
        if not ok:
            raise IctqaError(
                f"{sidecar}: key {key!r} has {json.dumps(value, ensure_ascii=False)} ({type(value).__name__})",
                expected=want,
                fix=f"correct {key!r} or set it to null",
            )
        out[key] = value
    return out


def load_meta(source: SourceText, corpus_root: Path | None) -> DocumentMeta:
    """What is known about a file: its sidecar's keys, with edition, year and
    language taken from the name, the text and the reader where the sidecar is
    silent.  ``document`` is the path relative to ``corpus_root`` (POSIX), or
    the name."""
    path = Path(source.path)
    sidecar = sidecar_path(path)
    given = read_sidecar(sidecar) if sidecar else {}
    language = given.get("language") or source.language
    edition, year = given.get("edition"), given.get("year")
    if edition is None or year is None:
        if edition is not None:  # the year is in the label
            year = year_of_label(edition)
        if year is not None and edition is None:
            edition = edition_label(year, language)
        if edition is None and year is None:
            edition, year = detect_edition(path, source.text, language)
    extra = {k: v for k, v in given.items() if k not in ("edition", "year", "language")}
    return DocumentMeta(
        document=_document_id(path, corpus_root),
        edition=edition,
        year=year,
        language=language,
        **extra,
    )


def year_of_label(label: str) -> int | None:
    """The year an edition label names (令和5年版 情報通信白書 → 2023)."""
    m = _JA_EDITION.search(label)
    if m:
        return _ja(m.group(1), m.group(2))[1]
    m = _EN_EDITION.search(label) or _NAME_YEAR.search(label)
    return int(next(g for g in m.groups() if g)) if m else None


def _document_id(path: Path, corpus_root: Path | None) -> str:
    if corpus_root is not None:
        try:
            return path.resolve().relative_to(Path(corpus_root).resolve()).as_posix()
        except ValueError:
            pass  # outside the root: fall back to the name
    return path.name
