"""PDF → text with the offset where each page starts (pypdf).

Reader contract (see :mod:`ictqa.ingest`): the text is in the ``pdf`` dialect
(pdftotext-like lines, headings as "number TAB title", running heads), and
``page_starts[i]`` is where page ``i + 1`` starts in it.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import IctqaError
from .decode import normalise_newlines


def read_pdf(raw: bytes, path: Path) -> tuple[str, tuple[int, ...]]:
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
            page_texts.append(normalise_newlines(page.extract_text() or "").rstrip())
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
