"""The preview server against a hostile web page and hostile URLs, over raw HTTP.

A real server (``reportgen.serve.make_server``) on 127.0.0.1, port 0, in a thread; requests
are written with http.client (or a raw socket) so nothing normalises the path or the Host.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportgen.errors import BuildError, Problem
from reportgen.project import Project
from reportgen.serve import INTERNAL_ERROR, PreviewState, make_server, rebuild
from tests.test_plan import edit, small_project

#: Text only the served report holds: a response containing it leaked the report.
REPORT = "UNPUBLISHED-REPORT-7f3a"
#: Text only files outside build/ hold: a response containing it escaped the folder.
SECRET = "SECRET-OUTSIDE-BUILD-91c2"


class Preview:
    """A running preview server and what it serves."""

    def __init__(self, project: Project, state: PreviewState):
        self.project = project
        self.state = state
        self.server = make_server(project, state, 0)
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def request(
        self,
        path: str,
        host: str | list[str] | None = "",
        method: str = "GET",
    ) -> tuple[int, dict[str, str], bytes]:
        """Send ``path`` exactly as given; ``host`` "" is the bound address, None no Host."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            hosts = [f"127.0.0.1:{self.port}"] if host == "" else host
            for value in [hosts] if isinstance(hosts, str) else hosts or []:
                conn.putheader("Host", value)
            conn.endheaders()
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


def preview_project(root: Path) -> Project:
    """A project with a built-looking report, and secrets beside build/ that must stay there."""
    project = small_project(root)
    project.build.mkdir(parents=True)
    (project.build / "alpha.html").write_text(
        f"<html><body><p>{REPORT}</p></body></html>", encoding="utf-8"
    )
    (project.build / "alpha.pdf").write_bytes(b"%PDF-1.7 " + REPORT.encode())
    (root / "secret.html").write_text(SECRET, encoding="utf-8")
    (root / "data" / "secret.pdf").write_text(SECRET, encoding="utf-8")
    (project.build / "linked.html").symlink_to(root / "secret.html")
    return project


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    running = Preview(preview_project(tmp_path / "p"), PreviewState())
    try:
        yield running
    finally:
        running.close()


def test_the_bound_address_is_served(preview: Preview) -> None:
    for host in (f"127.0.0.1:{preview.port}", f"localhost:{preview.port}"):
        for path in ("/", "/build/alpha.html", "/build/alpha.pdf", "/__reportgen/status"):
            status, _, body = preview.request(path, host)
            assert status == 200, (host, path)
        assert REPORT.encode() in preview.request("/build/alpha.html", host)[2]
    assert preview.request("/build/alpha.html", f"LOCALHOST:{preview.port}")[0] == 200


def test_a_foreign_host_gets_nothing(preview: Preview) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1."""
    port = preview.port
    foreign: list[str | list[str] | None] = [
        f"evil.example:{port}",
        "evil.example",
        f"127.0.0.1.evil.example:{port}",
        f"localhost.:{port}",
        f"127.0.0.1:{port + 1 if port < 65535 else port - 1}",
        "127.0.0.1",  # port 80 implied: not the bound port
        "localhost",
        f"[::1]:{port}",
        f"127.0.0.1:{port}@evil.example",
        "",  # an empty Host header
        [f"127.0.0.1:{port}", f"evil.example:{port}"],  # two Host headers
        None,  # no Host header at all
    ]
    for host in foreign:
        for path in ("/", "/build/alpha.html", "/build/alpha.pdf", "/__reportgen/status"):
            # "" means the bound address in request(); an empty header is sent as " ".
            status, _, body = preview.request(path, " " if host == "" else host)
            assert status == 421, (host, path, status)
            assert body == b"misdirected request", (host, path)


def test_an_http_1_0_request_without_host_gets_nothing(preview: Preview) -> None:
    with socket.create_connection(("127.0.0.1", preview.port), timeout=10) as sock:
        sock.sendall(b"GET /build/alpha.html HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.0 421 "), reply[:80]
    assert REPORT.encode() not in reply


def test_an_absolute_form_target_naming_another_host_is_refused(preview: Preview) -> None:
    for path in (
        "http://evil.example/build/alpha.html",
        f"http://127.0.0.1:{preview.port}/build/alpha.html",
        "build/alpha.html",
    ):
        status, _, body = preview.request(path)
        assert status == 400, (path, status)
        assert REPORT.encode() not in body


def test_only_files_under_build_are_served(preview: Preview) -> None:
    for path in (
        "/build/../data/house.yaml",
        "/build/%2e%2e/data/house.yaml",
        "/build/%2E%2E%2Fdata%2Fhouse.yaml",
        "/build/..%2f..%2fsecret.html",
        "/build/../secret.html",
        "/build/%2e%2e/secret.html",
        "/build/%2e%2e/data/secret.pdf",
        "/build/../../../../../../etc/passwd",
        "/build//etc/passwd",
        "//evil.example/build/alpha.html",  # http.server reads it as /evil.example/...
        "/build/%2fetc%2fpasswd",
        f"/build/{preview.project.root}/secret.html",
        "/build/linked.html",  # a symlink in build/ to a file outside it
        "/build/%00",
        "/build/alpha.html%00.pdf",
        "/build/" + "a" * 5000 + ".html",
        "/build/",
        "/build/..",
        "/data/house.yaml",
        "/secret.html",
        "/templates/css/report.css",
    ):
        status, _, body = preview.request(path)
        assert status == 404, (path, status)
        assert SECRET.encode() not in body and b"root:" not in body, path


def test_no_response_names_the_server_software_or_its_version(preview: Preview) -> None:
    responses = [
        preview.request("/build/alpha.html"),  # 200
        preview.request("/missing"),  # 404
        preview.request("/", "evil.example"),  # 421
        preview.request("http://evil.example/"),  # 400
        preview.request("/", method="POST"),  # 501, http.server's own error page
    ]
    assert [status for status, _, _ in responses] == [200, 404, 421, 400, 501]
    for _, headers, body in responses:
        assert headers["Server"] == "reportgen", headers
        for word in (b"Python", b"BaseHTTP", b"Traceback"):
            assert word not in body


def status_of(preview: Preview) -> dict[str, object]:
    code, _, body = preview.request("/__reportgen/status")
    assert code == 200
    return json.loads(body)


def test_a_bug_in_a_rebuild_shows_no_traceback_or_path_on_the_page(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = str(preview.project.root.resolve())

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"boom in {root}/reportgen/secret_module.py")

    monkeypatch.setattr("reportgen.runner.run_build", crash)
    before = {p.name: p.read_bytes() for p in preview.project.build.iterdir()}
    terminal: list[str] = []
    rebuild(preview.project, preview.state, terminal.append)

    now = status_of(preview)
    assert now["error"] == INTERNAL_ERROR
    assert "see the terminal" in INTERNAL_ERROR
    page = json.dumps(now)
    for leak in ("Traceback", "RuntimeError", "boom", root, "secret_module", ".py"):
        assert leak not in page, leak
    # ... the terminal has all of it
    logged = "\n".join(terminal)
    assert "Traceback (most recent call last)" in logged
    assert f"RuntimeError: boom in {root}/reportgen/secret_module.py" in logged
    # the last good page is still served, unchanged
    assert {p.name: p.read_bytes() for p in preview.project.build.iterdir()} == before
    assert REPORT.encode() in preview.request("/build/alpha.html")[2]


def test_a_failed_build_shows_its_located_message_without_absolute_paths(
    preview: Preview,
) -> None:
    """A real rebuild over a broken data cell: the page gets the located message only."""
    project = preview.project
    edit(
        project.data / "market/china_ai_shipments.csv",
        "2025,Domestic vendors,1.65,",
        "2025,Domestic vendors,lots,",
    )
    before = {p.name: p.read_bytes() for p in project.build.iterdir()}
    terminal: list[str] = []
    rebuild(project, preview.state, terminal.append)

    error = str(status_of(preview)["error"])
    assert error.startswith("data/market/china_ai_shipments.csv:9: column 'units_mn'"), error
    assert str(project.root) not in error and "Traceback" not in error
    assert "data/market/china_ai_shipments.csv:9" in "\n".join(terminal)
    assert {p.name: p.read_bytes() for p in project.build.iterdir()} == before


def test_an_absolute_project_path_in_a_user_error_is_made_relative_on_the_page(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = preview.project
    pdf = project.root.resolve() / "build" / "alpha.pdf"

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise BuildError([Problem(str(pdf), None, None, f"read-only file system: '{pdf}'")])

    monkeypatch.setattr("reportgen.runner.run_build", refuse)
    terminal: list[str] = []
    rebuild(project, preview.state, terminal.append)
    error = str(status_of(preview)["error"])
    assert error == "build/alpha.pdf: read-only file system: 'build/alpha.pdf'", error
    assert str(pdf) in "\n".join(terminal)  # the terminal keeps the full path
