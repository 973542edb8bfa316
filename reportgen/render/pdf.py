"""HTML to PDF with WeasyPrint, fetching nothing but our own fonts and data: URLs."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from reportgen.errors import BuildError, Problem
from reportgen.render.layout import Layout, extract_layout
from reportgen.render.weasy import HTML, FatalURLFetchingError, URLFetcher, URLFetcherResponse


class RefusedURL(FatalURLFetchingError):
    """A URL outside the allowed folders: rendering stops instead of fetching it."""


class SandboxedFetcher(URLFetcher):
    """Serve data: URLs and files under the allowed folders; refuse everything else.

    WeasyPrint's default fetcher would read any file:// path and any http:// URL (following
    redirects), and would embed an attachment's target in the PDF. Reports go to clients,
    so nothing outside the project's templates, fonts and figures may be read.
    """

    def __init__(self, allowed_roots: Sequence[Path], aliases: Sequence[tuple[Path, Path]] = ()):
        super().__init__(
            allowed_protocols=("file", "data"), allow_redirects=False, fail_on_errors=True
        )
        self.allowed_roots = tuple(p.resolve() for p in allowed_roots)
        #: (folder the HTML names, folder read instead), tried in order, per file: the page
        #: links fonts under the project's templates/; each is read from the first folder
        #: (the project's own, then the package's) that has it.
        self.aliases = tuple((v.resolve(), r.resolve()) for v, r in aliases)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        scheme = urlparse(url).scheme
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlparse(url).path)).resolve()
            for virtual, real in self.aliases:
                if path.is_relative_to(virtual):
                    found = (real / path.relative_to(virtual)).resolve()
                    if found.is_file():
                        path, url = found, found.as_uri()
                        break
            if any(path.is_relative_to(root) for root in self.allowed_roots) and path.is_file():
                return super().fetch(url, headers)
        self.refused.append(url)
        raise RefusedURL(f"refused to fetch {url}")


#: Warnings that say nothing about the document: WeasyPrint 70 prints this one for every font
#: it subsets with fontTools, which render/weasy.py makes it do on every machine (same bytes
#: whether or not libharfbuzz-subset is installed).
BENIGN_WARNINGS = ("Using fontTools instead of HarfBuzz-Subset",)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(BENIGN_WARNINGS):
            self.messages.append(message)


@contextmanager
def _weasyprint_warnings() -> Iterator[_Collect]:
    """Capture WeasyPrint's warnings (a missing image is only a warning there)."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@contextmanager
def _source_date(epoch: int) -> Iterator[None]:
    """Pin the timestamp fontTools writes into subset fonts ('head' table) to ``epoch``."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def html_to_pdf(
    html: str,
    base_dir: Path,
    allowed_roots: Sequence[Path],
    shown: str,
    date: dt.date,
    variant: str | None = None,
    aliases: Sequence[tuple[Path, Path]] = (),
) -> bytes:
    """Lay out ``html`` and return PDF bytes; any refused URL or renderer warning fails.

    Same inputs, same bytes: the file identifier is a hash of the HTML and embedded fonts
    carry the report's date, not the time of the build.
    """
    return html_to_pdf_and_layout(html, base_dir, allowed_roots, shown, date, variant, aliases)[0]


def html_to_pdf_and_layout(
    html: str,
    base_dir: Path,
    allowed_roots: Sequence[Path],
    shown: str,
    date: dt.date,
    variant: str | None = None,
    aliases: Sequence[tuple[Path, Path]] = (),
) -> tuple[bytes, Layout]:
    """As html_to_pdf, plus a summary of the layout the PDF was written from (one layout
    pass: the same bytes as html_to_pdf, for the page check)."""
    fetcher = SandboxedFetcher(allowed_roots, aliases)
    epoch = int(dt.datetime.combine(date, dt.time(), dt.UTC).timestamp())
    with _weasyprint_warnings() as warnings, _source_date(epoch):
        try:
            source = HTML(string=html, base_url=str(base_dir) + "/", url_fetcher=fetcher)
            # The file identifier is a hash of the HTML: same inputs, same bytes.
            identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
            options = {"pdf_variant": variant, "pdf_identifier": identifier}
            document = source.render(**options)  # what HTML.write_pdf does, in two steps
            layout = extract_layout(document)
            pdf = document.write_pdf(**options)
        except RefusedURL:
            pass
        except FatalURLFetchingError as exc:
            raise BuildError(
                [Problem(shown, None, None, f"could not load a resource: {exc}")]
            ) from exc
    problems = [
        Problem(
            shown,
            None,
            None,
            f"refused to fetch {url} (referenced by the report's HTML or CSS); only files "
            "under templates/ and figures/ and data: URLs may be used",
        )
        for url in fetcher.refused
    ]
    problems += [
        Problem(shown, None, None, f"PDF renderer warning: {m}")
        for m in warnings.messages
        if not any(url in m for url in fetcher.refused)
    ]
    if problems:
        raise BuildError(problems)
    assert pdf is not None
    return pdf, layout
