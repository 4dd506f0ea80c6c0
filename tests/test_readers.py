"""Reading files into text: encodings, PDFs, HTML and every kind of bad input.

PDFs are built here byte by byte (a Type0 CID font with or without a ToUnicode
map, as MIC's InDesign PDFs have), so no PDF writer is needed; one more test
uses reportlab's built-in Japanese CID fonts when reportlab is installed.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from ictqa.errors import IctqaError
from ictqa.ingest import SourceText, detect_language, iter_corpus_files, read_source

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "000_589c5af6fc00dccb.txt"
DATA = Path(__file__).parent / "data" / "readers"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def error_of(path: Path, **kw) -> str:
    with pytest.raises(IctqaError) as e:
        read_source(path, **kw)
    message = e.value.message
    assert str(path) in message, message  # every message names the file
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- plain text


def test_seed_reads_as_utf8():
    raw = SEED.read_bytes()
    s = read_source(SEED)
    assert isinstance(s, SourceText)
    assert (s.encoding, s.kind, s.language, s.page_starts) == ("utf-8", "text", "ja", ())
    assert s.sha256 == hashlib.sha256(raw).hexdigest()
    assert s.text == raw.decode("utf-8")
    assert "第第88節 ICT国際戦略の推進" in s.text
    assert s.page_at(100) is None


def test_shift_jis_copy_of_seed_decodes_identically(tmp_path):
    text = seed_text()
    # Every character of the seed exists in CP932 (Windows Shift_JIS), including
    # ①–⑥, ～ (U+FF5E) and － (U+FF0D) that plain shift_jis lacks.
    assert text.encode("cp932").decode("cp932") == text
    s = read_source(write(tmp_path, "seed_sjis.txt", text.encode("cp932")))
    assert s.encoding == "cp932"
    assert s.text == text


def test_euc_jp_copy_of_seed_decodes_identically(tmp_path):
    text = seed_text()
    # euc_jp cannot encode the NEC/Windows characters of the seed; EUC-JIS-2004
    # (the superset used for EUC files with ① and ～) can, and round-trips.
    missing = {c for c in set(text) if not _encodable(c, "euc_jp")}
    assert missing <= set("①②③④⑤⑥⑦⑧⑨～－∥￠￡￢")
    s = read_source(write(tmp_path, "seed_euc2004.txt", text.encode("euc_jis_2004")))
    assert s.text == text
    # A plain EUC-JP file (the seed minus what euc_jp lacks) decodes as euc_jp.
    plain = "".join(c for c in text if c not in missing)
    s = read_source(write(tmp_path, "seed_euc.txt", plain.encode("euc_jp")))
    assert (s.encoding, s.text) == ("euc_jp", plain)


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


@pytest.mark.parametrize(
    "sample",
    [
        "情報通信",
        "第8節",
        "令和5年版 情報通信白書",
        "ア　基幹通信インフラ",
        "ICTの推進",
        "５Ｇ・光海底ケーブル",
        "総務省では、",
    ],
)
@pytest.mark.parametrize("codec", ["cp932", "euc_jp", "utf-8"])
def test_short_texts_decode_in_each_encoding(tmp_path, sample, codec):
    s = read_source(write(tmp_path, "short.txt", sample.encode(codec)))
    assert s.text == sample
    assert s.encoding == codec


def test_utf8_bom_and_newlines(tmp_path):
    s = read_source(write(tmp_path, "bom.txt", "\ufeff第1節　概要\r\n本文です。\r次の行\n".encode("utf-8")))
    assert s.encoding == "utf-8-sig"
    assert s.text == "第1節　概要\n本文です。\n次の行\n"


def test_crlf_in_shift_jis(tmp_path):
    s = read_source(write(tmp_path, "crlf.txt", "第2節　データ\r\n本文\r\n".encode("cp932")))
    assert (s.encoding, s.text) == ("cp932", "第2節　データ\n本文\n")


def test_english_text_language(tmp_path):
    s = read_source(
        write(
            tmp_path,
            "en.txt",
            b"Section 8 Promotion of ICT international strategy.\nMIC supports 5G (\xe7\xb7\x8f\xe5\x8b\x99\xe7\x9c\x81).\n",
        )
    )
    assert s.language == "en"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("総務省では、ICTインフラシステムの海外展開について取り組んできた。", "ja"),
        ("5G・IoT・AIなどのICTの活用", "ja"),
        ("The Ministry of Internal Affairs and Communications (総務省) publishes it.", "en"),
        ("2023", "ja"),  # no letters at all: the corpus default
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


# ---------------------------------------------------------------- bad input


def test_empty_file(tmp_path):
    assert "is empty" in error_of(write(tmp_path, "empty.txt", b""))
    assert "is empty" in error_of(write(tmp_path, "blank.txt", b" \r\n\t\n"))
    assert "is empty" in error_of(write(tmp_path, "bom.txt", b"\xef\xbb\xbf"))


def test_binary_file_named_txt(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    assert "NUL bytes" in error_of(write(tmp_path, "image.txt", png))


def test_undecodable_bytes(tmp_path):
    junk = bytes([0x80, 0xFF, 0xFE, 0x81, 0x20, 0xA0, 0xFD]) * 20
    assert "not valid UTF-8, Shift_JIS (CP932) or EUC-JP" in error_of(write(tmp_path, "junk.txt", junk))


def test_folder_named_like_a_file(tmp_path):
    d = tmp_path / "x.txt"
    d.mkdir()
    assert "is a folder" in error_of(d)


def test_unreadable_file(tmp_path, monkeypatch):
    p = write(tmp_path, "secret.txt", "本文".encode())

    def denied(self, *a, **kw):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    assert "cannot be read (Permission denied)" in error_of(p)


def test_missing_file(tmp_path):
    assert "does not exist" in error_of(tmp_path / "nope.txt")


def test_unsupported_suffix(tmp_path):
    assert "unsupported file type '.docx'" in error_of(write(tmp_path, "a.docx", b"PK\x03\x04"))


def test_huge_file_is_refused_without_reading(tmp_path, monkeypatch):
    p = tmp_path / "huge.txt"
    with p.open("wb") as f:
        f.truncate(100 * 2**20)  # sparse: 100 MB on paper, nothing on disk

    def never(self, *a, **kw):  # the size check must come before any read
        raise AssertionError("read a file that is over the limit")

    monkeypatch.setattr(Path, "open", never)
    started = time.perf_counter()
    message = error_of(p)
    assert time.perf_counter() - started < 1.0
    assert "too large (100.0 MB; the limit is 64.0 MB)" in message


def test_max_bytes_parameter(tmp_path):
    p = write(tmp_path, "a.txt", "本文です。".encode() * 100)
    assert "too large" in error_of(p, max_bytes=1000)
    assert read_source(p, max_bytes=2000).text.startswith("本文です。")


@pytest.mark.parametrize(
    "garbage",
    [
        "(cid:12)(cid:345)(cid:67)(cid:890)" * 20,  # pdfminer's output for unmapped glyphs
        "\ue001\ue002\ue0ff\uf8f0" * 20,  # private use
        "\ufffd\ufffd本文\ufffd" * 20,  # replacement characters
        "第8節".encode("cp932").decode("latin-1") * 30,  # Shift_JIS read as Latin-1
    ],
)
def test_garbled_text_is_refused(tmp_path, garbage):
    p = write(tmp_path, "garbled.txt", ("第1節　概要\n" + garbage).encode("utf-8"))
    assert "garbled" in error_of(p)


# ---------------------------------------------------------------- PDF


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file from object bodies (object 1 is the catalog)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), extra, data)


def _pages(first: int, contents: list[bytes], resources: bytes) -> tuple[list[bytes], bytes]:
    """Page + content objects numbered from ``first``, and the /Kids array."""
    objs, kids = [], []
    for i, content in enumerate(contents):
        n = first + 2 * i
        kids.append(b"%d 0 R" % n)
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>" % (resources, n + 1)
        )
        objs.append(_stream(content))
    return objs, b"[" + b" ".join(kids) + b"]"


def cid_pdf(pages: list[list[str]], *, tounicode: bool = True) -> bytes:
    """Japanese text in a Type0 font with Identity-H glyph ids, as InDesign
    writes it; without ``tounicode`` the glyph ids cannot be mapped back."""
    chars = sorted({c for lines in pages for line in lines for c in line})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    cmap = [
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    items = list(cid.items())
    for k in range(0, len(items), 100):
        chunk = items[k : k + 100]
        cmap.append(b"%d beginbfchar" % len(chunk))
        cmap += [b"<%04X> <%s>" % (i, c.encode("utf-16-be").hex().upper().encode()) for c, i in chunk]
        cmap.append(b"endbfchar")
    cmap.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    contents = []
    for lines in pages:
        ops = [b"BT /F1 12 Tf 72 800 Td 16 TL"]
        ops += [b"<%s> Tj T*" % "".join(f"{cid[c]:04X}" for c in line).encode() for line in lines]
        contents.append(b"\n".join(ops + [b"ET"]))
    page_objs, kids = _pages(7, contents, b"<< /Font << /F1 3 0 R >> >>")
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids %s /Count %d >>" % (kids, len(pages)),
            b"<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiMin-W3 /Encoding /Identity-H /DescendantFonts [4 0 R]"
            + (b" /ToUnicode 6 0 R" if tounicode else b"")
            + b" >>",
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiMin-W3 /CIDSystemInfo"
            b" << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 5 0 R /DW 1000 >>",
            b"<< /Type /FontDescriptor /FontName /HeiseiMin-W3 /Flags 6 /FontBBox [0 -141 1000 859]"
            b" /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 709 /StemV 69 >>",
            _stream(b"\n".join(cmap)),
            *page_objs,
        ]
    )


def latin1_pdf(data: bytes) -> bytes:
    """Shift_JIS bytes shown in a WinAnsi font: extracts as Latin-1 soup."""
    content = b"BT /F1 12 Tf 72 800 Td <%s> Tj ET" % data.hex().encode()
    page_objs, kids = _pages(4, [content], b"<< /Font << /F1 3 0 R >> >>")
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids %s /Count 1 >>" % kids,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            *page_objs,
        ]
    )


def image_pdf(n_pages: int = 2) -> bytes:
    """Pages that only paint a (tiny, grey) scanned image."""
    image = _stream(
        b"\x00\x80\x80\xff",
        b"/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 ",
    )
    page_objs, kids = _pages(4, [b"q 400 0 0 500 90 200 cm /Im1 Do Q"] * n_pages, b"<< /XObject << /Im1 3 0 R >> >>")
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids %s /Count %d >>" % (kids, n_pages),
            image,
            *page_objs,
        ]
    )


PDF_PAGES = [
    ["第8節　ICT国際戦略の推進", "1　概要", "総務省では、①光海底ケーブル～5Gネットワークの海外展開に取り組んできた。"],
    ["（1）これまでの取組", "ア　基幹通信インフラ", "図表5-8-1-1　デジタル海外展開プラットフォーム"],
]


def test_pdf_japanese_text_and_pages(tmp_path):
    data = cid_pdf(PDF_PAGES)
    s = read_source(write(tmp_path, "n5800000.pdf", data))
    assert (s.kind, s.encoding, s.language) == ("pdf", "pdf", "ja")
    assert s.sha256 == hashlib.sha256(data).hexdigest()
    assert s.text.split("\n") == PDF_PAGES[0] + PDF_PAGES[1]
    assert s.page_starts == (0, len("\n".join(PDF_PAGES[0])) + 1)
    assert s.text[s.page_starts[1] :].startswith("（1）これまでの取組")
    assert s.page_at(0) == 1 and s.page_at(s.page_starts[1] - 1) == 1 and s.page_at(s.page_starts[1]) == 2


def test_pdf_from_reportlab_cid_fonts(tmp_path):
    canvas_mod = pytest.importorskip("reportlab.pdfgen.canvas")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    p = tmp_path / "reportlab.pdf"
    c = canvas_mod.Canvas(str(p))
    for font, lines in zip(("HeiseiMin-W3", "HeiseiKakuGo-W5"), PDF_PAGES):
        pdfmetrics.registerFont(UnicodeCIDFont(font))
        c.setFont(font, 12)
        for i, line in enumerate(lines):
            c.drawString(72, 780 - 20 * i, line)
        c.showPage()
    c.save()
    s = read_source(p)
    assert s.text.split("\n") == PDF_PAGES[0] + PDF_PAGES[1]
    assert len(s.page_starts) == 2


def test_pdf_without_unicode_map_is_refused(tmp_path):
    message = error_of(write(tmp_path, "nomap.pdf", cid_pdf(PDF_PAGES, tounicode=False)))
    assert "garbled" in message and "Unicode map" in message


def test_pdf_mojibake_is_refused(tmp_path):
    sjis = "総務省では、ICTインフラシステムの海外展開について取り組んできた。".encode("cp932")
    assert "garbled" in error_of(write(tmp_path, "soup.pdf", latin1_pdf(sjis)))


def test_one_garbled_page_is_named(tmp_path):
    # Page 4 maps its glyphs to private-use characters, as a font with a broken
    # map does; the other pages dilute it below the document-wide limit.
    good = [["総務省では、ICTインフラシステムの海外展開について取り組んできた。" * 3] * 10]
    data = cid_pdf(good * 3 + [["\ue000\ue001\ue002\ue003\ue004" * 20]] + good * 5)
    message = error_of(write(tmp_path, "mixed.pdf", data))
    assert "on page(s) 4" in message


def test_truncated_pdf(tmp_path):
    data = cid_pdf(PDF_PAGES)
    assert "truncated PDF" in error_of(write(tmp_path, "cut.pdf", data[: len(data) // 2]))


def test_damaged_pdf(tmp_path):
    data = cid_pdf(PDF_PAGES)
    broken = data[: len(data) // 2] + b"\nstartxref\n999999\n%%EOF\n"
    assert "damaged PDF" in error_of(write(tmp_path, "broken.pdf", broken))


def test_image_only_pdf(tmp_path):
    message = error_of(write(tmp_path, "scan.pdf", image_pdf()))
    assert "no extractable text (2 page(s), probably scanned images)" in message


def test_not_a_pdf(tmp_path):
    assert "not a PDF" in error_of(write(tmp_path, "fake.pdf", "本文です。".encode()))


# ---------------------------------------------------------------- HTML

MIC_PAGE_EXPECTED = [
    "第2部　情報通信分野の現状と課題",
    "第5章　総務省におけるICT政策の取組状況",
    "第8節　ICT国際戦略の推進",
    "1　概要",
    "（2）　今後の課題と方向性",
    (
        "新型コロナウイルス感染症の世界的流行を契機として社会・経済のデジタル化が加速しており、"
        "通信ネットワークの整備・高度化や課題解決に効果的なデジタルソリューションへのニーズが増大している。"
    ),
    None,  # the long paragraph, checked separately
    "図表5-8-1-1　デジタル海外展開プラットフォームの概要",
    "（出典）総務省作成資料",
    "ア　基幹通信インフラ",
    "①光海底ケーブル",
    "②5Gネットワーク",
    "（ア）　消防分野",
    "本文&記号：～　Ⅱ　㈱　－",
    "年度 2023",
]


def _mic_page_sjis(tmp_path: Path) -> Path:
    html = (DATA / "mic_page.html").read_text(encoding="utf-8")
    return write(tmp_path, "nd258120.html", html.encode("cp932"))


def test_mic_html_page(tmp_path):
    s = read_source(_mic_page_sjis(tmp_path))
    assert (s.kind, s.encoding, s.language, s.page_starts) == ("html", "cp932", "ja", ())
    blocks = s.text.split("\n\n")
    assert len(blocks) == len(MIC_PAGE_EXPECTED), blocks
    for got, want in zip(blocks, MIC_PAGE_EXPECTED):
        if want is not None:
            assert got == want
    assert blocks[6].startswith("このような状況の下、") and blocks[6].endswith("光海底ケーブルなど…")
    for chrome in (
        "総務省トップ",
        "ページトップへ",
        "組織案内",
        "検索",
        "Copyright",
        "スクリプト",
        "スタイル",
        "Javascript",
        "テキスト形式",
        "の概要の図",
        "総務省｜",
    ):
        assert chrome not in s.text, chrome


def test_html_declared_charset_wrong_falls_back_to_detection(tmp_path):
    # The fixture on disk is UTF-8 although it declares Shift_JIS.
    p = write(tmp_path, "page.htm", (DATA / "mic_page.html").read_bytes())
    s = read_source(p)
    assert s.encoding == "utf-8"
    assert s.text.startswith("第2部　情報通信分野の現状と課題")


@pytest.mark.parametrize(("charset", "codec"), [("EUC-JP", "euc_jp"), ("utf-8", "utf-8"), (None, "cp932"), (None, "euc_jp")])
def test_html_charsets(tmp_path, charset, codec):
    meta = f'<meta charset="{charset}">' if charset else ""
    html = f"<html><head>{meta}<title>t</title></head><body><h2>第3節　電波政策の動向</h2><p>電波の有効利用を推進している。</p></body></html>"
    s = read_source(write(tmp_path, "p.html", html.encode(codec)))
    assert s.encoding == codec
    assert s.text == "第3節　電波政策の動向\n\n電波の有効利用を推進している。"


def test_html_main_element_and_omitted_head_end(tmp_path):
    html = (
        "<html><head><meta charset='utf-8'><title>不要</title>"
        "<body><header>サイト名</header><main><header><h1>第1章 デジタル</h1></header><p>本文<br>二行目</p></main>"
        "<div>関連リンク</div></body></html>"
    )
    s = read_source(write(tmp_path, "m.html", html.encode()))
    assert s.text == "第1章　デジタル\n\n本文\n\n二行目"


def test_html_without_text(tmp_path):
    html = "<html><head><title>総務省</title><script>var a='本文';</script></head><body><div id='header'><a>ホーム</a></div><nav>目次</nav><div class='pagetop'>ページトップへ</div></body></html>"
    assert "has no text outside navigation" in error_of(write(tmp_path, "empty.html", html.encode()))


def test_html_sentences_are_not_taken_for_headings(tmp_path):
    html = "<p>第5章第3節「電波政策の動向」を参照</p><p>1 パソコン通信の利用者は増加した。</p>"
    s = read_source(write(tmp_path, "p.html", html.encode()))
    assert s.text == "第5章第3節「電波政策の動向」を参照\n\n1 パソコン通信の利用者は増加した。"


# ---------------------------------------------------------------- corpus files


def test_iter_corpus_files(tmp_path):
    for rel in [
        "b.txt",
        "a.pdf",
        "sub/c.HTML",
        "sub/deeper/d.htm",
        "sub/deeper/e.txt",
        "b.txt.meta.json",
        "b.meta.json",
        ".hidden.txt",
        ".git/x.txt",
        "notes.md",
        "sub/img.png",
    ]:
        p = tmp_path / "corpus" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("本文")
    extra = tmp_path / "extra.txt"
    extra.write_text("本文")
    got = iter_corpus_files([tmp_path / "corpus", extra, tmp_path / "corpus" / "b.txt"])
    rel = [p.relative_to(tmp_path).as_posix() for p in got]
    assert rel == [
        "corpus/a.pdf",
        "corpus/b.txt",
        "corpus/sub/c.HTML",
        "corpus/sub/deeper/d.htm",
        "corpus/sub/deeper/e.txt",
        "extra.txt",
    ]
    assert iter_corpus_files([tmp_path / "corpus"]) == iter_corpus_files([tmp_path / "corpus"])


def test_iter_corpus_files_errors(tmp_path):
    with pytest.raises(IctqaError, match="does not exist"):
        iter_corpus_files([tmp_path / "missing"])
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(IctqaError, match="unsupported file type '.md'"):
        iter_corpus_files([tmp_path / "notes.md"])
    assert iter_corpus_files([tmp_path]) == []


def test_seed_corpus_lists_only_the_text():
    assert iter_corpus_files([ROOT / "corpus"]) == [SEED]


def _encrypted(data: bytes, user_password: str) -> bytes:
    import io

    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_with_permissions_only_encryption_reads(tmp_path):
    # Published PDFs are often encrypted just to restrict editing (empty user password).
    s = read_source(write(tmp_path, "locked.pdf", _encrypted(cid_pdf(PDF_PAGES), "")))
    assert s.text.split("\n") == PDF_PAGES[0] + PDF_PAGES[1]


def test_pdf_with_password(tmp_path):
    assert "password-protected PDF" in error_of(write(tmp_path, "secret.pdf", _encrypted(cid_pdf(PDF_PAGES), "pw")))


def test_html_line_break_inside_heading(tmp_path):
    s = read_source(write(tmp_path, "h.html", "<h3>第1節<br>データ流通の進展</h3><p>本文。</p>".encode()))
    assert s.text == "第1節　データ流通の進展\n\n本文。"
