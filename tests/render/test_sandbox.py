"""Nothing leaked or fetched: the PDF renderer reads only our fonts, CSS and figures."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from reportgen.errors import BuildError
from reportgen.render.pdf import html_to_pdf

DATE = dt.date(2026, 5, 1)


class _Counter(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        type(self).requests.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request made to it."""
    _Counter.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", _Counter.requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def render(html: str, root: Path) -> bytes:
    allowed = root / "allowed"
    allowed.mkdir(exist_ok=True)
    return html_to_pdf(html, base_dir=root, allowed_roots=[allowed], shown="t.pdf", date=DATE)


def has_attachment(pdf: bytes, tmp_path: Path) -> bool:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    with pikepdf.open(path) as doc:
        if doc.attachments:
            return True
        return any(
            "/FileAttachment" in str(a.get("/Subtype"))
            for p in doc.pages
            for a in p.get("/Annots") or []
        )


@pytest.mark.parametrize(
    "markup",
    [
        '<link rel="attachment" href="file:///etc/passwd">',
        '<img src="file:///etc/passwd">',
        '<style>p { background: url("file:///etc/passwd") }</style><p>x</p>',
        '<a rel="attachment" href="file:///etc/hostname">x</a>',
    ],
)
def test_local_files_outside_the_project_are_refused(markup: str, tmp_path: Path) -> None:
    with pytest.raises(BuildError) as info:
        render(f"<html><body><p>a</p>{markup}</body></html>", tmp_path)
    assert "file:///etc/" in str(info.value)
    assert "refused to fetch" in str(info.value)


@pytest.mark.parametrize(
    "markup",
    [
        '<link rel="stylesheet" href="{url}/style.css">',
        '<img src="{url}/image.png">',
        '<style>@import url("{url}/import.css");</style>',
        '<style>p {{ background: url("{url}/bg.png") }}</style>',
        '<link rel="attachment" href="{url}/secret.txt">',
        '<img src="{url}/redirect">',
    ],
)
def test_http_urls_make_no_request_and_fail_the_build(
    markup: str, tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    url, requests = server
    with pytest.raises(BuildError) as info:
        render(f"<html><body><p>a</p>{markup.format(url=url)}</body></html>", tmp_path)
    assert url in str(info.value)
    assert requests == []


def test_a_missing_file_under_an_allowed_folder_fails_the_build(tmp_path: Path) -> None:
    missing = (tmp_path / "allowed" / "nope.svg").as_uri()
    with pytest.raises(BuildError) as info:
        render(f'<html><body><img src="{missing}"></body></html>', tmp_path)
    assert "nope.svg" in str(info.value)


def test_files_under_allowed_folders_and_data_urls_render(tmp_path: Path) -> None:
    (tmp_path / "allowed").mkdir()
    css = tmp_path / "allowed" / "x.css"
    css.write_text("p { color: navy }", encoding="utf-8")
    pdf = render(
        f'<html><head><link rel="stylesheet" href="{css.as_uri()}"></head><body><p>ok</p>'
        '<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9z'
        'dmciIHdpZHRoPSIxMCIgaGVpZ2h0PSIxMCIvPg=="></body></html>',
        tmp_path,
    )
    assert pdf.startswith(b"%PDF")
    assert not has_attachment(pdf, tmp_path)


def test_markup_in_data_is_shown_literally_not_fetched(
    project_copy: Path, cli: object, server: tuple[str, list[str]]
) -> None:
    """Plant URLs in a data cell and in prose; the build shows them as text, fetches nothing."""
    url, requests = server
    pricing = project_copy / "data/market/llm_pricing.csv"
    text = pricing.read_text(encoding="utf-8")
    planted = (
        f"<link rel=attachment href=file:///etc/passwd><img src={url}/cell.png>"
        f"<style>p{{background:url({url}/css.png)}}</style>"
    )
    assert ",Command R7B," in text  # a model no sentence cites: it appears only in the table
    pricing.write_text(
        text.replace(",Command R7B,", f',"Command R7B {planted}",'), encoding="utf-8"
    )
    prose = project_copy / "data/reports/deepseek-v4-pricing/appendix.md"
    prose.write_text(
        prose.read_text(encoding="utf-8")
        + f'\n\n![x]({url}/md.png) [y](file:///etc/passwd) <img src="{url}/raw.png">\n'
        + '<link rel="attachment" href="file:///etc/passwd">\n',
        encoding="utf-8",
    )
    result = cli(["build", "-q", "deepseek-v4-pricing"], project_copy)  # type: ignore[operator]
    assert result.exit_code == 0, result.output
    assert requests == []
    pdf = (project_copy / "build/deepseek-v4-pricing.pdf").read_bytes()
    assert not has_attachment(pdf, project_copy)
    html = (project_copy / "build/deepseek-v4-pricing.html").read_text(encoding="utf-8")
    assert "&lt;link rel=attachment href=file:///etc/passwd&gt;" in html
    assert f'<img src="{url}' not in html and f"<img src={url}" not in html
    assert '<link rel="attachment"' not in html


def test_a_url_in_a_template_refuses_the_build(
    project_copy: Path, cli: object, server: tuple[str, list[str]]
) -> None:
    url, requests = server
    template = project_copy / "templates/sector_note.html.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "{% block body %}", f'{{% block body %}}<img src="{url}/tracker.png">'
        ),
        encoding="utf-8",
    )
    result = cli(["build", "-q", "deepseek-v4-pricing"], project_copy)  # type: ignore[operator]
    assert result.exit_code == 2, result.output
    assert f"refused to fetch {url}/tracker.png" in result.stderr
    assert requests == []
    assert not (project_copy / "build/deepseek-v4-pricing.pdf").exists()


def test_no_template_marks_data_safe() -> None:
    repo = Path(__file__).resolve().parents[2]
    templates = sorted((repo / "reportgen").rglob("*.j2"))
    assert len(templates) > 20  # the package's templates and the skeleton's, not an empty glob
    for template in templates:
        text = template.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", ""), template


def test_a_renderer_warning_fails_the_build(tmp_path: Path) -> None:
    """WeasyPrint only logs what it cannot honour; reportgen turns that into a build error."""
    with pytest.raises(BuildError) as info:
        render(
            "<html><head><style>p { color: not-a-colour }</style></head><body><p>x</p>"
            "</body></html>",
            tmp_path,
        )
    assert "PDF renderer warning" in str(info.value)
