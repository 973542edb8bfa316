"""Stamped recipient copies: the release's pages, text and attachments plus one stamp line."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
from collections import Counter
from pathlib import Path

import pikepdf
import pypdf
import pytest

from reportgen.errors import BuildError
from reportgen.publish.recipients import Recipient
from reportgen.publish.stamp import (
    MIN_STAMP_PT,
    STAMP_PT,
    copy_file_name,
    stamp_copies,
    stamp_copy,
    stamp_line,
    stamp_size,
)
from reportgen.render.weasy import HTML
from tests.tools import require_tool, run_tool

REPO = Path(__file__).resolve().parents[2]
FONTS = REPO / "reportgen" / "templates" / "fonts"
RELEASE = "2026-04-26-01"
JANE = Recipient("Jane Doe", "Example Capital", "jane@example.com")
LINE = "Prepared for Jane Doe, Example Capital · release 2026-04-26-01"
ATTACHED = b"company,year,revenue\nmetax,2025,1.5\n"


def release_pdf() -> bytes:
    """A four-page PDF/A-3b laid out with the house @page rules (report.css, sample.css:
    running footer and SAMPLE in the bottom margin) and one embedded data file."""
    import weasyprint

    css = (REPO / "reportgen/templates/css/report.css").read_text(encoding="utf-8")
    css += (REPO / "reportgen/templates/css/sample.css").read_text(encoding="utf-8")
    fonts = "".join(
        f'@font-face {{ font-family: "House Sans"; src: url("{name}"); font-weight: {w}; }}'
        for name, w in (("DejaVuSans.ttf", "normal"), ("DejaVuSans-Bold.ttf", "bold"))
    )
    body = "".join(f"<p>Paragraph {i}: revenue and the target price.</p>" for i in range(150))
    html = (
        "<html lang=en><head><meta charset=utf-8><title>Fixture report</title>"
        "<meta name=keywords content='alpha, beta'><meta name=author content='A Analyst'>"
        f"<style>{fonts}{css}</style></head><body>{body}</body></html>"
    )
    moment = dt.datetime(2026, 4, 26, tzinfo=dt.UTC)
    attachment = weasyprint.Attachment(
        string=ATTACHED, name="data.csv", created=moment, modified=moment, relationship="Data"
    )
    return HTML(string=html, base_url=f"{FONTS}/").write_pdf(
        pdf_variant="pdf/a-3b", attachments=[attachment], pdf_identifier=b"0123456789abcdef"
    )


@pytest.fixture(scope="module")
def release() -> bytes:
    return release_pdf()


@pytest.fixture(scope="module")
def copy(release: bytes) -> bytes:
    return stamp_copy(release, JANE, RELEASE, FONTS)


def test_stamp_line_and_file_name() -> None:
    assert stamp_line(JANE, RELEASE) == LINE
    assert stamp_line(Recipient("Li Wei", "", "li@example.com"), RELEASE) == (
        "Prepared for Li Wei · release 2026-04-26-01"
    )
    assert copy_file_name("metax", RELEASE, 3) == "metax-2026-04-26-01-03.pdf"
    assert copy_file_name("metax", RELEASE, 123) == "metax-2026-04-26-01-123.pdf"


def test_stamp_size_shrinks_then_refuses() -> None:
    a4 = 595.28
    assert stamp_size(40.0, a4) == STAMP_PT
    assert MIN_STAMP_PT <= stamp_size(100.0, a4) < STAMP_PT  # type: ignore[operator]
    assert stamp_size(200.0, a4) is None


def test_text_is_the_release_text_plus_the_stamp_per_page(release: bytes, copy: bytes) -> None:
    before, after = pypdf.PdfReader(io.BytesIO(release)), pypdf.PdfReader(io.BytesIO(copy))
    assert len(before.pages) == len(after.pages) == 4
    for old, new in zip(before.pages, after.pages, strict=True):
        assert new.extract_text() == old.extract_text() + "\n" + LINE
    with pikepdf.open(io.BytesIO(release)) as old, pikepdf.open(io.BytesIO(copy)) as new:
        for old_page, new_page in zip(old.pages, new.pages, strict=True):
            # The release's own content streams, byte for byte, wrapped in q ... Q.
            kept = [s.read_bytes() for s in pikepdf.Array(new_page.obj.Contents)]
            original = old_page.obj.Contents
            streams = original if isinstance(original, pikepdf.Array) else [original]
            assert kept[1:-1] == [s.read_bytes() for s in streams]
            assert kept[0] == b"q\n" and kept[-1].startswith(b"Q\n")
            assert new_page.mediabox == old_page.mediabox


def test_pdftotext_sees_one_stamp_line_per_page(tmp_path: Path, release: bytes, copy: bytes):
    require_tool("pdftotext")
    (tmp_path / "release.pdf").write_bytes(release)
    (tmp_path / "copy.pdf").write_bytes(copy)
    for page in (1, 2, 3, 4):
        texts = [
            run_tool("pdftotext", "-f", str(page), "-l", str(page), str(tmp_path / n), "-")
            for n in ("release.pdf", "copy.pdf")
        ]
        old, new = (Counter(t.split("\n")) for t in texts)
        new.subtract(old)
        assert {k: v for k, v in new.items() if v} == {LINE: 1}


def words(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """(xMin, yMin, xMax, yMax, word) from pdftotext -bbox, y from the page's top."""
    import re

    out = run_tool("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-")
    found = re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', out
    )
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in found]


def test_stamp_sits_below_the_footer_inside_the_page(tmp_path: Path, release, copy) -> None:
    require_tool("pdftotext")
    (tmp_path / "release.pdf").write_bytes(release)
    (tmp_path / "copy.pdf").write_bytes(copy)
    for page in (1, 4):
        old = words(tmp_path / "release.pdf", page)
        new = words(tmp_path / "copy.pdf", page)
        stamp = [w for w in new if w not in old]
        assert Counter(new) - Counter(stamp) == Counter(old)  # nothing of the page moved
        assert " ".join(w[4] for w in stamp) == LINE
        lowest = max(w[3] for w in old)  # the running footer's bottom edge
        for x0, y0, x1, y1, _ in stamp:
            assert y0 > lowest, "the stamp overlaps the footer"
            assert x0 >= 16 * 72 / 25.4 - 0.5 and x1 <= 595.28 - 16 * 72 / 25.4
            assert y1 < 841.89 - 10  # clear of the page's edge (3.5 mm)


def test_attachments_pdfa_and_metadata(release: bytes, copy: bytes) -> None:
    with pikepdf.open(io.BytesIO(release)) as old, pikepdf.open(io.BytesIO(copy)) as new:
        assert list(new.attachments) == ["data.csv"]
        assert new.attachments["data.csv"].get_file().read_bytes() == ATTACHED
        assert len(new.Root.AF) == len(old.Root.AF)
        assert new.trailer.ID[0] == old.trailer.ID[0]  # the release's permanent identifier
        info = new.docinfo
        assert str(info.Recipient) == "Jane Doe, Example Capital"
        assert str(info.ReleaseID) == RELEASE
        assert str(info.Keywords) == f"alpha, beta; {LINE}"
        assert str(info.Title) == str(old.docinfo.Title)
        meta = new.open_metadata()
        assert meta["pdf:Keywords"] == f"alpha, beta; {LINE}"
        assert meta.pdfa_status == "3B"
        assert meta["dc:title"] == "Fixture report"
        # Different subsets carry different tags (ISO 32000 9.6.4), the stamp's included.
        fonts = [
            o
            for o in new.objects
            if isinstance(o, pikepdf.Dictionary)
            and o.get("/Type") == "/Font"
            and "/DescendantFonts" in o
        ]
        assert len({str(f.BaseFont) for f in fonts}) == len(fonts) == 3
        # The stamp's font is embedded (PDF/A): every font of every page has a FontFile2.
        for page in new.pages:
            for form in page.Resources.XObject.values():
                for font in form.Resources.Font.values():
                    assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor


def test_qpdf_check_passes(tmp_path: Path, copy: bytes) -> None:
    qpdf = require_tool("qpdf")
    (tmp_path / "copy.pdf").write_bytes(copy)
    done = subprocess.run([qpdf, "--check", str(tmp_path / "copy.pdf")], capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_same_inputs_same_bytes(release: bytes, copy: bytes) -> None:
    assert stamp_copy(release, JANE, RELEASE, FONTS) == copy
    other = stamp_copy(release, Recipient("Li Wei", "", "li@example.com"), RELEASE, FONTS)
    assert other != copy


def test_cjk_name_long_name_and_missing_glyph(release: bytes) -> None:
    chinese = Recipient("张伟", "华夏资本", "zhang@example.cn")
    text = pypdf.PdfReader(io.BytesIO(stamp_copy(release, chinese, RELEASE, FONTS)))
    assert (
        text.pages[0].extract_text().endswith("Prepared for 张伟, 华夏资本 · release 2026-04-26-01")
    )
    long = Recipient("W" * 60, "M" * 60, "w@example.com")
    with pytest.raises(BuildError, match="does not fit"):
        stamp_copy(release, long, RELEASE, FONTS)
    with pytest.raises(BuildError, match="no glyph"):
        stamp_copy(release, Recipient("Name \u1000", "", "x@example.com"), RELEASE, FONTS)


def test_stamp_copies_records(release: bytes) -> None:
    pair = [JANE, Recipient("Li Wei", "", "li@example.com")]
    made = stamp_copies(release, pair, "metax", RELEASE, FONTS)
    assert [c.file for c, _ in made] == [
        "outbox/metax-2026-04-26-01-01.pdf",
        "outbox/metax-2026-04-26-01-02.pdf",
    ]
    for (record, data), who in zip(made, pair, strict=True):
        assert record.sha256 == hashlib.sha256(data).hexdigest()
        assert (record.name, record.firm, record.email) == (who.name, who.firm, who.email)
        assert record.release_id == RELEASE and record.sent_at is None
