"""`reportgen serve`: a local preview that rebuilds on change and reloads the open page.

The server is for the analyst's own browser only: it answers a request only when its ``Host``
is the address it bound (so a web page cannot read unpublished reports through DNS
rebinding), serves only files under build/, names no server or Python version, and shows the
page the located message of a failed build but never a traceback or an absolute path (those
go to the terminal).
"""

from __future__ import annotations

import html
import http.server
import json
import threading
import traceback
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from reportgen.errors import ReportgenError
from reportgen.project import PROJECT_FILE, Project

#: Injected into served HTML pages only (never into build/ outputs): polls the server and
#: reloads the page after a successful rebuild, or shows the build error over the page.
RELOAD_SCRIPT = """
<script>
(function () {
  var seen = null;
  function show(error) {
    var box = document.getElementById("reportgen-error");
    if (!error) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "reportgen-error";
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:50%;overflow:auto;" +
        "margin:0;padding:12px;background:#fff0f0;color:#8a1020;border-top:3px solid #b23a48;" +
        "font:12px/1.4 monospace;white-space:pre-wrap;z-index:99999";
      document.body.appendChild(box);
    }
    box.textContent = "Build failed: the page shows the last good build.\\n\\n" + error;
  }
  function poll() {
    fetch("/__reportgen/status", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (seen !== null && s.version !== seen && !s.error) { location.reload(); return; }
        seen = s.version; show(s.error);
      }).catch(function () {}).finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
</script>
"""


@dataclass
class PreviewState:
    """What the server tells the page: a build counter and the last build's error, if any."""

    version: int = 0
    error: str | None = None
    building: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            return {"version": self.version, "error": self.error, "building": self.building}


#: What the page says when a rebuild fails on a bug in reportgen: the details (traceback,
#: paths) are on the terminal only, where the server runs.
INTERNAL_ERROR = (
    "internal error: this is a bug in reportgen, not a problem with your input; "
    "see the terminal running `reportgen serve` for the details"
)


def for_the_page(message: str, project: Project) -> str:
    """``message`` with the project's absolute folder taken out (paths become relative)."""
    for root in {str(project.root.resolve()), str(project.root)}:
        message = message.replace(root.rstrip("/") + "/", "")
    return message


def rebuild(project: Project, state: PreviewState, log: Callable[[str], None]) -> None:
    """Build what is stale; record success or the error messages for the page.

    Bad input gives the page its located messages; a bug gives the page only
    ``INTERNAL_ERROR`` and the terminal the traceback.
    """
    from reportgen.options import BuildOptions
    from reportgen.runner import run_build

    with state.lock:
        state.building = True
    error: str | None = None
    try:
        summary = run_build(project, None, BuildOptions(), lambda _m: None)
        if summary.built or summary.removed:
            log(f"rebuilt: {', '.join(summary.built + summary.removed)}")
    except ReportgenError as exc:
        located = "\n".join(str(p) for p in exc.problems)
        log("build failed:\n" + located)
        error = for_the_page(located, project)
    except Exception:  # noqa: BLE001 - the preview must keep running
        log("build failed: " + INTERNAL_ERROR + "\n" + traceback.format_exc())
        error = INTERNAL_ERROR
    with state.lock:
        state.version += 1
        state.error = error
        state.building = False


def warm_up() -> None:
    """Import what a rebuild needs (pandas, matplotlib, WeasyPrint, builders) ahead of an edit.

    A preview whose first build had nothing to do has not loaded them yet; without this, the
    first edit waits about 1.5 s longer than the ones after it.
    """
    from reportgen.build import load_builders, load_report_types
    from reportgen.data.dataset import load_dataset  # noqa: F401 - imported for its cost

    load_builders()
    load_report_types()


def _inside(folder: Path, name: str) -> Path | None:
    """``folder/name`` if it is a file inside ``folder`` (no way out with .., / or links)."""
    try:
        target = (folder / name).resolve()
        if target.is_relative_to(folder.resolve()) and target.is_file():
            return target
    except (OSError, ValueError):  # a NUL byte, a name too long, a link loop
        pass
    return None


def allowed_hosts(port: int) -> frozenset[str]:
    """The ``Host`` values the server answers: the address it bound, by IP or as localhost."""
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    if port == 80:  # a browser leaves the default port out of Host
        hosts |= {"127.0.0.1", "localhost"}
    return frozenset(hosts)


def host_allowed(headers: Collection[str], port: int) -> bool:
    """Exactly one ``Host`` header, naming the bound address (DNS-rebinding defence)."""
    return len(headers) == 1 and next(iter(headers)).strip().lower() in allowed_hosts(port)


def make_handler(project: Project, state: PreviewState) -> type[http.server.BaseHTTPRequestHandler]:
    """A request handler serving build/ with live reload, and the status endpoint."""

    class Handler(http.server.BaseHTTPRequestHandler):
        # No "BaseHTTP/0.6 Python/3.x" in the Server header: nothing to fingerprint.
        server_version = "reportgen"
        sys_version = ""

        def version_string(self) -> str:
            return self.server_version

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            address = self.server.server_address
            assert isinstance(address, tuple)  # an IPv4 (host, port): served on 127.0.0.1
            port = int(address[1])
            if not host_allowed(self.headers.get_all("Host") or [], port):
                # A foreign name resolving to 127.0.0.1 (DNS rebinding) gets nothing.
                self._send(421, b"misdirected request", "text/plain")
                return
            if not self.path.startswith("/"):
                # Absolute-form targets (http://other/...) would name another host.
                self._send(400, b"bad request", "text/plain")
                return
            path = unquote(urlparse(self.path).path)
            if path == "/__reportgen/status":
                self._send(200, json.dumps(state.snapshot()).encode(), "application/json")
                return
            if path in ("/", "/index.html"):
                self._send(200, self._index().encode("utf-8"), "text/html; charset=utf-8")
                return
            target = _inside(project.build, path.removeprefix("/build/"))
            if not path.startswith("/build/") or target is None:
                self._send(404, b"not found", "text/plain")
                return
            if target.suffix == ".html":
                page = target.read_text(encoding="utf-8")
                page = page.replace("</body>", RELOAD_SCRIPT + "</body>", 1)
                self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
            elif target.suffix == ".pdf":
                self._send(200, target.read_bytes(), "application/pdf")
            elif target.suffix == ".xlsx":  # a table's workbook (render/xlsx.py)
                self._send(200, target.read_bytes(), XLSX_TYPE)
            else:
                self._send(404, b"not found", "text/plain")

        def _index(self) -> str:
            items = "".join(
                f'<li><a href="/build/{html.escape(p.name)}">{html.escape(p.stem)}</a> '
                f'(<a href="/build/{html.escape(p.stem)}.pdf">PDF</a>)</li>'
                for p in sorted(project.build.glob("*.html"))
            )
            return (
                f"<!DOCTYPE html><html><head><meta charset=utf-8><title>reportgen preview"
                f"</title></head><body><h1>Reports</h1><ul>{items}</ul>{RELOAD_SCRIPT}"
                "</body></html>"
            )

    return Handler


#: The media type of a table exhibit's workbook, linked from the HTML.
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The only address the preview listens on: this machine, never the network.
HOST = "127.0.0.1"


def make_server(
    project: Project, state: PreviewState, port: int
) -> http.server.ThreadingHTTPServer:
    """The preview's HTTP server on ``HOST``:``port`` (0: any free port), not yet serving."""
    return http.server.ThreadingHTTPServer((HOST, port), make_handler(project, state))


#: Names at the project's top level whose change alters what is watched or built: the project
#: file (modules, tables, plug-in folders) and the project's own templates/ folder.
TOP_LEVEL = frozenset({PROJECT_FILE, "templates"})


def _watched(project: Project) -> list[Path]:
    """The folders a change under which rebuilds: data/, the templates in use (the project's
    own folder, else the package's) and the plug-in folders reportgen.yaml names."""
    from reportgen.plugins import plugin_folders

    try:
        plugins = list(plugin_folders(project))
    except ReportgenError:
        plugins = []  # a broken reportgen.yaml: the rebuild shows its problem
    return [project.data, project.templates, *plugins]


def _watch_top(project: Project, stop: threading.Event, changed: threading.Event) -> None:
    """Set ``changed`` whenever reportgen.yaml or the project's templates/ folder itself is
    created, edited or removed (not recursive: the rest of the root is outputs and tools)."""
    from watchfiles import watch as watch_files

    for changes in watch_files(
        project.root,
        recursive=False,
        watch_filter=lambda _change, path: Path(path).name in TOP_LEVEL,
        stop_event=stop,
        debounce=300,
        step=100,
        rust_timeout=250,
        yield_on_timeout=True,
    ):
        if changes:
            changed.set()


def watch(
    project: Project,
    state: PreviewState,
    stop: threading.Event,
    log: Callable[[str], None],
    watching: threading.Event,
) -> None:
    """Rebuild whenever a file under data/, templates/ or a plug-in folder (reportgen.yaml
    ``plugins:``) changes, or reportgen.yaml itself, until ``stop`` is set.

    ``watching`` is set once the watcher is live, so no edit made after the server says it is
    ready can be missed. A change at the top level may change what is watched (a new
    templates/ folder, other plug-in folders), so the folders are then taken anew.
    """
    from watchfiles import watch as watch_files

    top = threading.Event()
    threading.Thread(
        target=_watch_top, args=(project, stop, top), name="watch-top", daemon=True
    ).start()
    while not stop.is_set():
        for changes in watch_files(
            *_watched(project),
            stop_event=stop,
            debounce=300,
            step=100,
            rust_timeout=250,
            yield_on_timeout=True,
        ):
            watching.set()
            if top.is_set():
                top.clear()
                rebuild(project, state, log)
                break  # watch the folders as they now are
            if changes:
                rebuild(project, state, log)


def serve(
    project: Project, port: int, log: Callable[[str], None], ready: Callable[[str], None]
) -> None:
    """Build, then serve build/ on 127.0.0.1 and rebuild on change until interrupted."""
    state = PreviewState()
    rebuild(project, state, log)
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    server = make_server(project, state, port)
    stop = threading.Event()
    watching = threading.Event()
    watcher = threading.Thread(
        target=watch, args=(project, state, stop, log, watching), daemon=True
    )
    watcher.start()
    watching.wait(timeout=30)
    ready(f"http://{HOST}:{server.server_address[1]}/")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
