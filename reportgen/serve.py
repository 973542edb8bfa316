"""`reportgen serve`: a local preview that rebuilds on change and reloads the open page."""

from __future__ import annotations

import html
import http.server
import json
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from reportgen.errors import ReportgenError
from reportgen.project import Project

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


def rebuild(project: Project, state: PreviewState, log: Callable[[str], None]) -> None:
    """Build what is stale; record success or the error messages for the page."""
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
        error = "\n".join(str(p) for p in exc.problems)
        log("build failed:\n" + error)
    except Exception as exc:  # noqa: BLE001 - the preview must keep running
        error = f"internal error: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        log(error)
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
    """``folder/name`` if it is a file inside ``folder`` (no way out with .. or links)."""
    target = (folder / name).resolve()
    if target.is_relative_to(folder.resolve()) and target.is_file():
        return target
    return None


def make_handler(project: Project, state: PreviewState) -> type[http.server.BaseHTTPRequestHandler]:
    """A request handler serving build/ with live reload, and the status endpoint."""

    class Handler(http.server.BaseHTTPRequestHandler):
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


def watch(
    project: Project,
    state: PreviewState,
    stop: threading.Event,
    log: Callable[[str], None],
    watching: threading.Event,
) -> None:
    """Rebuild whenever a file under data/ or templates/ changes, until ``stop`` is set.

    ``watching`` is set once the watcher is live, so no edit made after the server says it is
    ready can be missed.
    """
    from watchfiles import watch as watch_files

    for changes in watch_files(
        project.data,
        project.templates,
        stop_event=stop,
        debounce=300,
        step=100,
        rust_timeout=250,
        yield_on_timeout=True,
    ):
        watching.set()
        if changes:
            rebuild(project, state, log)


def serve(
    project: Project, port: int, log: Callable[[str], None], ready: Callable[[str], None]
) -> None:
    """Build, then serve build/ on 127.0.0.1 and rebuild on change until interrupted."""
    state = PreviewState()
    rebuild(project, state, log)
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), make_handler(project, state))
    stop = threading.Event()
    watching = threading.Event()
    watcher = threading.Thread(
        target=watch, args=(project, state, stop, log, watching), daemon=True
    )
    watcher.start()
    watching.wait(timeout=30)
    ready(f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
