"""Copy the release registry to HISTORY_FILE before planning, so builds read it as a file.

A build never opens the database: the plan hashes HISTORY_FILE like any input, so a new
release makes exactly the reports that read the history stale. This module stays light (it is
imported by plan.py): SQLAlchemy is imported only when a registry file or URL exists.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportgen.data.sources import line_of
from reportgen.deps import digest
from reportgen.errors import Problem
from reportgen.outputs import write_atomic
from reportgen.project import Project
from reportgen.publish.model import DEFAULT_REGISTRY, HISTORY_FILE, HISTORY_VERSION

#: Overrides house.yaml's registry.url (a team's database for one shell, or a test's).
ENV_VAR = "REPORTGEN_REGISTRY_URL"
#: The default registry's bytes the history was last written from (their sha256): when they
#: have not changed, neither has the history, and the database is not opened.
SOURCE_FILE = ".reportgen-cache/registry/source.json"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+._-]*://")
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


def mask_in_text(url: str) -> str:
    """``url`` with the password of user:password@ replaced by *** (no URL parser needed)."""
    return _PASSWORD.sub(r"\1***@", url)


def check_registry_key(house: Mapping[str, Any], shown: str) -> list[Problem]:
    """Problems with house.yaml's ``registry`` key: absent, or a mapping with one string
    ``url`` that looks like a database URL (scheme://...); located at the key's line."""
    if "registry" not in house or house["registry"] is None:
        return []
    value = house["registry"]
    line = line_of(house, "registry") or line_of(value)
    if not isinstance(value, Mapping):
        return [
            Problem(
                shown,
                line,
                "registry",
                "expected a mapping with a database url, such as "
                f"{{url: 'postgresql+psycopg://user@host:5432/research'}}, "
                f"got {type(value).__name__}",
            )
        ]
    problems = [
        Problem(shown, line_of(value, key) or line, f"registry.{key}", "unknown key; expected url")
        for key in value
        if key != "url"
    ]
    url = value.get("url")
    where = line_of(value, "url") or line
    if "url" not in value:
        problems.append(Problem(shown, line, "registry.url", "required key is missing"))
    elif not isinstance(url, str) or not _SCHEME.match(url.strip()):
        got = repr(mask_in_text(url)) if isinstance(url, str) else type(url).__name__
        problems.append(
            Problem(
                shown,
                where,
                "registry.url",
                "expected a database URL such as postgresql+psycopg://user@host:5432/research "
                f"or sqlite:///releases/registry.sqlite, got {got}",
            )
        )
    return problems


def read_house(project: Project) -> Mapping[str, Any]:
    """house.yaml as far as the registry needs it: parsed (with lines) only when it mentions
    ``registry``; {} when it does not, or when there is no house.yaml."""
    try:
        data = project.house.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return {}
    if b"registry" not in data:
        return {}
    from reportgen.data.sources import decode_utf8, load_yaml_text

    shown = project.shown(project.house)
    doc = load_yaml_text(decode_utf8(data, shown), shown)
    return doc if isinstance(doc, dict) else {}


def registry_configured(project: Project, house: Mapping[str, Any]) -> bool:
    """Whether a registry may exist: a URL in the environment or house.yaml, or the default
    SQLite file (cheap: nothing is opened)."""
    return bool(
        os.environ.get(ENV_VAR, "").strip()
        or house.get("registry")
        or (project.root / DEFAULT_REGISTRY).exists()
    )


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _stamp(registry: bytes, history: bytes) -> bytes:
    """What SOURCE_FILE holds: the hashes of the registry file and of the history from it."""
    payload = {"version": HISTORY_VERSION, "registry": digest(registry), "history": digest(history)}
    return json.dumps(payload, sort_keys=True).encode("utf-8")


def sync_history(project: Project) -> bool:
    """Write the registry's history to HISTORY_FILE when its bytes differ (atomically);
    remove HISTORY_FILE when there is no registry. True when the file changed.

    The default SQLite registry is not opened when its bytes are those the history was last
    written from (SOURCE_FILE), and no journal says a write is under way.
    """
    target = project.root / HISTORY_FILE
    stamp_path = project.root / SOURCE_FILE
    house = read_house(project)
    db = project.root / DEFAULT_REGISTRY
    default = not os.environ.get(ENV_VAR, "").strip() and not house.get("registry")
    source = _read(db) if default else None
    quiet = not any(db.with_name(db.name + end).exists() for end in ("-journal", "-wal"))
    history = _read(target)
    if (
        source is not None
        and history is not None
        and quiet
        and _read(stamp_path) == _stamp(source, history)
    ):
        return False
    registry = None
    if registry_configured(project, house):
        from reportgen.publish.registry import open_registry

        registry = open_registry(project, house, create=False)
    if registry is None:
        for path in (stamp_path, target):
            if path.is_file():
                path.unlink()
        return history is not None
    try:
        data = registry.history().to_bytes()
    finally:
        registry.close()
    if source is not None and quiet and _read(stamp_path) != _stamp(source, data):
        write_atomic(stamp_path, _stamp(source, data), root=project.root)
    if history == data:
        return False
    write_atomic(target, data, root=project.root)
    return True
