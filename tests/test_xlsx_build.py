"""Every table exhibit of every sample report is written as a workbook beside the PDF
(build/<slug>/<slug>-<exhibit>.xlsx): it shows what the HTML and PDF show, is recorded in the
manifest, rebuilt with its report, and removed with its exhibit or report."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import lxml.html
import openpyxl
import pytest
from pypdf import PdfReader

from reportgen.render.xlsx import cell_number, display
from tests.conftest import run_cli
from tests.render.test_xlsx import shown_by_libreoffice
from tests.tools import copy_sample


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project, built once with the package's templates."""
    root = copy_sample(tmp_path_factory.mktemp("xlsx") / "project", templates=False)
    result = run_cli(["build", "-q"], root)
    assert result.exit_code == 0, result.output
    return root


def slugs(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "build").glob("*.html"))


def html_tables(root: Path, slug: str) -> dict[str, dict[str, Any]]:
    """Each table exhibit of a report's HTML by placement name: caption, column labels and
    units, body rows (each a list of cell texts, a group heading a one-cell row), notes, source
    line and the workbook link."""
    page = lxml.html.fromstring((root / "build" / f"{slug}.html").read_bytes())
    tables = {}
    for figure in page.xpath('//figure[contains(@class, "exhibit-table")]'):
        name = figure.get("id").removeprefix("exhibit-")
        heads = figure.xpath(".//thead/tr[not(@class)]/th")
        rows = [
            [cell.text_content() for cell in tr.xpath("./td|./th")]
            for tr in figure.xpath(".//tbody/tr")
        ]
        tables[name] = {
            "caption": figure.xpath("./figcaption")[0].text_content(),
            "labels": [th.text or "" for th in heads],
            "units": [next(iter(th.xpath("./span/text()")), "") for th in heads],
            "rows": rows,
            "notes": [p.text_content() for p in figure.xpath('.//p[@class="table-note"]')],
            "source": figure.xpath('.//p[@class="exhibit-source"]')[0].text_content(),
            "link": figure.xpath('.//p[@class="exhibit-download"]/a')[0].get("href"),
        }
    return tables


def shown(cell: Any) -> str:
    """A workbook cell as a spreadsheet shows it: a number through its format, else its text."""
    if is_number(cell):
        return display(cell.value, cell.number_format)
    return "" if cell.value is None else str(cell.value)


def is_number(cell: Any) -> bool:
    """Whether a workbook cell holds a number (openpyxl reads 425.0 back as an int)."""
    return isinstance(cell.value, int | float) and not isinstance(cell.value, bool)


def sheet(path: Path) -> tuple[Any, list[list[str]]]:
    """A workbook's sheet and its rows as shown."""
    ws = openpyxl.load_workbook(path).active
    return ws, [[shown(c) for c in row] for row in ws.iter_rows()]


def header_row(rows: list[list[str]], table: dict[str, Any]) -> int:
    """Index of the workbook row holding the column labels."""
    width = len(table["labels"])
    return next(i for i, row in enumerate(rows) if row[:width] == table["labels"])


def test_every_table_exhibit_has_its_workbook(built: Path) -> None:
    manifest = json.loads((built / ".reportgen-cache" / "manifest.json").read_text())
    total = 0
    for slug in slugs(built):
        tables = html_tables(built, slug)
        folder = built / "build" / slug
        found = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        assert found == {f"{slug}-{name}.xlsx" for name in tables}, slug
        outputs = manifest["reports"][slug]["outputs"]
        for name, table in tables.items():
            assert table["link"] == f"{slug}/{slug}-{name}.xlsx"
            book = built / "build" / table["link"]
            assert (
                outputs[f"build/{table['link']}"] == hashlib.sha256(book.read_bytes()).hexdigest()
            )
        total += len(tables)
    assert total == 33  # the sample reports' table exhibits (3 + 19 + 1 + 7 + 3)


def test_workbooks_show_what_the_html_shows(built: Path) -> None:
    numbers = 0
    for slug in slugs(built):
        for name, table in html_tables(built, slug).items():
            ws, rows = sheet(built / "build" / table["link"])
            cells = list(ws.iter_rows())
            assert rows[0][0] == table["caption"]
            first = header_row(rows, table) + 1
            if any(table["units"]):
                assert rows[first] == table["units"]
                first += 1
            body = zip(rows[first:], cells[first:], table["rows"], strict=False)
            for row, row_cells, html in body:
                covered = len(row) - len(html)  # a group heading or a spanning label
                assert [row[0], *row[1 + covered :]] == html, (name, html)
                assert not any(row[1 : 1 + covered])
                assert all(isinstance(c.value, str | None) for c in row_cells[: 1 + covered])
                parens = any(re.fullmatch(r"\([\d,.]+%?\)", t) for h in table["rows"] for t in h)
                for text, cell in zip(html[1:], row_cells[1 + covered :], strict=True):
                    # A number the house formatters print is a number in the workbook.
                    number = cell_number(text, parens)
                    assert is_number(cell) == (number is not None), text
                    numbers += number is not None
            tail = [r[0] for r in rows[-len(table["notes"]) - 1 :]]
            assert tail == [*table["notes"], table["source"]]
            assert rows[first + len(table["rows"])] == [""] * len(table["labels"])
    assert numbers > 2000  # 2,868 when written


def squeezed(text: str) -> str:
    """``text`` without whitespace: a PDF's text runs break lines inside narrow cells."""
    return re.sub(r"\s+", "", text)


def test_workbooks_match_the_pdf_text(built: Path) -> None:
    for slug in slugs(built):
        pages = PdfReader(built / "build" / f"{slug}.pdf").pages
        text = squeezed("".join(page.extract_text() for page in pages))
        assert "Downloadthedata" not in text and ".xlsx" not in text
        for table in html_tables(built, slug).values():
            ws, rows = sheet(built / "build" / table["link"])
            assert squeezed(rows[0][0]) in text  # Figure <n>: <title>
            assert squeezed(rows[-1][0]) in text  # Source: ...
            for unit in filter(None, table["units"]):
                assert squeezed(unit) in text
            for row in ws.iter_rows():
                for cell in row:
                    if is_number(cell):
                        assert display(cell.value, cell.number_format) in text, cell.coordinate


def test_libreoffice_shows_the_html_text(built: Path, tmp_path: Path) -> None:
    books = sorted((built / "build").glob("*/*.xlsx"))
    seen = shown_by_libreoffice(tmp_path, books)
    for slug in slugs(built):
        for table in html_tables(built, slug).values():
            book = built / "build" / table["link"]
            _, ours = sheet(book)
            theirs = [row + [""] * (len(ours[0]) - len(row)) for row in seen[book.stem]]
            # LibreOffice shows every cell as our formatter does (and so as the HTML does).
            assert theirs[: len(ours)] == ours, book.name


def test_incremental(built: Path, tmp_path: Path) -> None:
    """A workbook is an output like the PDF: missing or modified makes its report stale, the
    rebuild writes the same bytes; a removed exhibit or report takes its workbooks along."""
    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    book = root / "build" / "metax" / "metax-ri-valuation-metax.xlsx"
    original = book.read_bytes()
    book.unlink()
    status = run_cli(["status"], root).output
    assert "build/metax/metax-ri-valuation-metax.xlsx: missing" in status
    result = run_cli(["build"], root)
    assert result.exit_code == 0, result.output
    assert book.read_bytes() == original  # same inputs, same bytes
    book.write_bytes(original + b"x")
    assert "modified since built" in run_cli(["status"], root).output
    assert run_cli(["build"], root).exit_code == 0
    assert book.read_bytes() == original

    # The key products table leaves the MetaX report (and its citation leaves the prose).
    report = root / "data" / "reports" / "metax" / "report.yaml"
    text = report.read_text()
    placed = "    exhibits:\n      - id: key-products\n        params: {company: metax}\n"
    assert placed in text
    report.write_text(text.replace(placed, ""))
    prose = root / "data" / "reports" / "metax" / "background.md"
    prose.write_text(prose.read_text().replace(' ({{ fig("key-products-metax") }})', ""))
    result = run_cli(["build"], root)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "build" / "metax").iterdir()) == [
        "metax-earnings-estimates-metax.xlsx",
        "metax-ri-valuation-metax.xlsx",
    ]

    # A report whose definition is gone leaves no workbook folder behind.
    shutil.rmtree(root / "data" / "reports" / "deepseek-v4-pricing")
    result = run_cli(["build"], root)
    assert result.exit_code == 0, result.output
    assert not (root / "build" / "deepseek-v4-pricing").exists()
    assert (root / "build" / "metax").is_dir()


def test_the_preview_serves_the_linked_workbooks(built: Path) -> None:
    """`reportgen serve` answers the HTML's link with the workbook (a real server, port 0)."""
    import http.client
    import threading

    from reportgen.project import Project
    from reportgen.serve import XLSX_TYPE, PreviewState, make_server

    server = make_server(Project(built), PreviewState(), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        link = html_tables(built, "metax")["ri-valuation-metax"]["link"]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/build/{link}", headers={"Host": f"127.0.0.1:{port}"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == XLSX_TYPE
        assert response.read() == (built / "build" / link).read_bytes()
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
