"""Hostile prose: prose is data, not code.

Each probe appends an expression or tag to one prose file in a copy of a project whose sector
note and Cambricon initiation were built once, then runs `reportgen build`: it must exit 2
with one located message (prose file, line, what is wrong), leave the previous build's outputs
unchanged, and write nothing anywhere else. A unit-level test walks every object the real
sample prose contexts hand to prose and checks each is a plain value or a declared query.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reportgen.build import load_definitions
from reportgen.data.dataset import load_dataset
from reportgen.project import find_project
from reportgen.prose_api import PROSE_ATTRS, prose_api, prose_names
from reportgen.render.sandbox import (
    MAX_OUTPUT,
    OPAQUE_ITERABLES,
    SCALARS,
    TIME_LIMIT_S,
    NotAllowed,
    admit,
)
from reportgen.reports.base import load_report_types
from tests.conftest import REPO, run_cli
from tests.tools import copy_sample

NOTE = "deepseek-v4-pricing"
NOTE_PROSE = f"data/reports/{NOTE}/summary.md"
CAMB = "cambricon"
CAMB_PROSE = f"data/reports/{CAMB}/valuation.md"
MAPPING_METHODS = ("get", "items", "keys", "values")


@dataclass(frozen=True)
class Probe:
    id: str
    slug: str
    prose: str
    source: str  # appended to the prose file on a line of its own
    fragment: str  # what the one error line must say after "<prose>:<line>: "


PROBES = [
    # --- the file system, through objects prose used to be handed ---------------------------
    Probe(
        "read-etc-passwd",
        NOTE,
        NOTE_PROSE,
        "{{ report.folder.joinpath('/etc/passwd').read_text() }}",
        "has no attribute 'folder'",
    ),
    Probe(
        "write-pth-file",
        NOTE,
        NOTE_PROSE,
        "{{ report.folder.joinpath('../../.venv/x.pth').write_text('import os') }}",
        "has no attribute 'folder'",
    ),
    Probe("absolute-path", NOTE, NOTE_PROSE, "{{ report.folder }}", "has no attribute 'folder'"),
    Probe(
        "dataframe-to-csv",
        CAMB,
        CAMB_PROSE,
        '{{ company.table("ri_inputs").to_csv("../../../x.csv") }}',
        "'table' of a Company object is not allowed in prose",
    ),
    Probe(
        "company-tables",
        CAMB,
        CAMB_PROSE,
        "{{ company.tables['ri_inputs'] }}",
        "'tables' of a Company object is not allowed in prose",
    ),
    Probe(
        "query-internals",
        NOTE,
        NOTE_PROSE,
        "{{ market._ds.root }}",
        "'_ds' of a Market object is not allowed in prose",
    ),
    Probe(
        "method-globals",
        NOTE,
        NOTE_PROSE,
        "{{ market.model.__func__.__globals__['pd'] }}",
        "'__func__' of a function is not allowed in prose",
    ),
    Probe(
        "fig-closure",
        NOTE,
        NOTE_PROSE,
        "{{ fig.__globals__ }}",
        "'__globals__' of a function is not allowed in prose",
    ),
    # --- Python internals and Jinja's own globals ----------------------------------------------
    Probe("str-class", NOTE, NOTE_PROSE, "{{ ''.__class__ }}", "'__class__' of a str"),
    Probe("cycler-globals", NOTE, NOTE_PROSE, "{{ cycler.__init__.__globals__ }}", "'cycler'"),
    Probe("self", NOTE, NOTE_PROSE, "{{ self }}", "'self' is not allowed in prose"),
    Probe("range-self", NOTE, NOTE_PROSE, "{{ range.__self__ }}", "'__self__' of a function"),
    Probe("lipsum", NOTE, NOTE_PROSE, "{{ lipsum() }}", "'lipsum' is not allowed in prose"),
    Probe("namespace", NOTE, NOTE_PROSE, "{{ namespace() }}", "'namespace' is not allowed"),
    Probe("joiner", NOTE, NOTE_PROSE, "{{ joiner() }}", "'joiner' is not allowed in prose"),
    # --- other files --------------------------------------------------------------------------
    Probe(
        "include-itself",
        NOTE,
        NOTE_PROSE,
        "{% include 'summary.md' %}",
        "{% include %} is not allowed in prose",
    ),
    Probe(
        "include-by-path",
        NOTE,
        NOTE_PROSE,
        f"{{% include '{NOTE_PROSE}' %}}",
        "{% include %} is not allowed in prose",
    ),
    Probe(
        "extends-template",
        NOTE,
        NOTE_PROSE,
        "{% extends 'base.html.j2' %}",
        "{% extends %} is not allowed in prose",
    ),
    Probe("import", NOTE, NOTE_PROSE, "{% import 'x.md' as x %}", "{% import %} is not allowed"),
    # --- claims: the one function prose is given besides range ---------------------------------
    Probe("claim-internals", NOTE, NOTE_PROSE, "{{ claim.__globals__ }}", "undefined value"),
    Probe(
        "claim-reaches-out",
        NOTE,
        NOTE_PROSE,
        "{{ claim(report.__class__ == 1, 'x') }}",
        "'__class__' of a ReportInfo object is not allowed",
    ),
    Probe(
        "claim-shows-an-object",
        NOTE,
        NOTE_PROSE,
        "{{ claim(1 < 2, market) }}",
        "a claim's text: a Market object is not allowed in prose",
    ),
    Probe(
        "claim-false",
        NOTE,
        NOTE_PROSE,
        "{{ claim(market.blended('China').low > market.blended('China').high, 'wider') }}",
        'claim no longer holds: "wider" needs',
    ),
    # --- arithmetic, formatting and limits ----------------------------------------------------
    Probe("divide-by-zero", NOTE, NOTE_PROSE, "{{ 1/0 }}", "cannot compute: division by zero"),
    Probe("usd-overflow", NOTE, NOTE_PROSE, "{{ (10**30) | usd }}", "too large to format"),
    Probe("power-tower", NOTE, NOTE_PROSE, "{{ 10**10**10 }}", "number too large"),
    Probe("string-bomb", NOTE, NOTE_PROSE, "{{ 'x' * 10**9 }}", "text longer than 100,000"),
    Probe(
        "runaway-loop",
        NOTE,
        NOTE_PROSE,
        "{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}",
        f"took longer than {TIME_LIMIT_S:g} s",
    ),
    Probe(
        "huge-output",
        NOTE,
        NOTE_PROSE,
        "{% for i in range(10**5) %}{{ 'xxxxxxxxxxxxxxxxxxxx' }}{% endfor %}",
        f"output larger than {MAX_OUTPUT:,} characters",
    ),
]


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with the sector note and the Cambricon initiation built once."""
    root = tmp_path_factory.mktemp("prose-built") / "project"
    copy_sample(root)
    result = run_cli(["build", "-q", NOTE, CAMB], root)
    assert result.exit_code == 0, result.output
    return root


def test_the_corpus_covers_the_issue() -> None:
    assert len(PROBES) >= 25
    assert len({p.id for p in PROBES}) == len(PROBES)


def _run_probe(built: Path, tmp_path: Path, slug: str, edit: Callable[[Path], None]) -> Any:
    root = tmp_path / "project"
    shutil.copytree(built, root)
    before = {n: tree(root / n) for n in ("build", "figures")}
    files = set(tree(tmp_path))
    edit(root)
    result = run_cli(["build", "-q", slug], root)
    assert {n: tree(root / n) for n in ("build", "figures")} == before
    # Nothing new anywhere in the probe's folder but the cache and logs the build keeps.
    new = {f for f in set(tree(tmp_path)) - files if not f.startswith("project/.reportgen")}
    assert new == set()
    return result


def _errors(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_hostile_prose_is_a_located_error_and_changes_nothing(
    probe: Probe, built: Path, tmp_path: Path
) -> None:
    text = (built / probe.prose).read_text(encoding="utf-8")
    line = (text + "\n\n").count("\n") + 1

    def edit(root: Path) -> None:
        (root / probe.prose).write_text(text + "\n\n" + probe.source + "\n", encoding="utf-8")

    start = time.monotonic()
    result = _run_probe(built, tmp_path, probe.slug, edit)
    assert time.monotonic() - start < 60
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = _errors(result)
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {probe.prose}:{line}: "), errors
    assert probe.fragment in errors[0]
    assert not list(tmp_path.rglob("x.csv")) and not list(tmp_path.rglob("x.pth"))


def test_a_non_utf8_byte_in_prose_names_the_file_and_line(built: Path, tmp_path: Path) -> None:
    def edit(root: Path) -> None:
        path = root / NOTE_PROSE
        path.write_bytes(b"First line.\n\nSecond, caf\xe9 au lait.\n" + path.read_bytes())

    result = _run_probe(built, tmp_path, NOTE, edit)
    assert result.exit_code == 2, result.output
    (error,) = _errors(result)
    assert error.startswith(f"error: {NOTE_PROSE}:3: byte 0xe9 at column 12 is not UTF-8")


# --- what the real prose contexts hand to prose -----------------------------------------------


def _allowed_type(hint: Any) -> bool:
    """Whether a declared return type is a plain value, a registered query or a container of
    those (a row mapping may hold Any: the sandbox admits each value as prose reads it)."""
    if hint in SCALARS or hint in PROSE_ATTRS or hint is type(None):
        return True
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return all(_allowed_type(a) for a in args)
    if origin in (list, tuple):
        return all(a is Ellipsis or _allowed_type(a) for a in args)
    if origin in (dict, Mapping):
        return args[0] is str and (args[1] is Any or _allowed_type(args[1]))
    return False


def _walk(value: Any, where: str, seen: set[int], found: list[str]) -> None:
    """Every object reachable by prose from ``value``, checked; problems go to ``found``."""
    held = admit(value)  # what prose holds (NotAllowed fails the test)
    kind = type(held)
    if kind in SCALARS or id(held) in seen:
        return
    seen.add(id(held))
    if kind in (list, tuple):
        for i, item in enumerate(held):
            _walk(item, f"{where}[{i}]", seen, found)
    elif kind in (dict, types.MappingProxyType):
        for key, item in held.items():
            _walk(item, f"{where}[{key!r}]", seen, found)
    elif kind in PROSE_ATTRS:
        if isinstance(held, Mapping):
            for key in held:
                _walk(held[key], f"{where}[{key!r}]", seen, found)
        for name in sorted(prose_names(held) or ()):
            if isinstance(held, Mapping) and name in MAPPING_METHODS:
                continue  # give the values walked above
            attr = getattr(held, name)
            if isinstance(attr, types.MethodType):
                hint = typing.get_type_hints(attr).get("return")
                if not _allowed_type(hint):
                    found.append(f"{where}.{name}() is declared to return {hint}")
            else:
                _walk(attr, f"{where}.{name}", seen, found)
    elif kind not in OPAQUE_ITERABLES:
        found.append(f"{where} is a {kind.__name__}")


def test_every_object_the_sample_prose_can_reach_is_plain_or_declared() -> None:
    project = find_project(REPO)
    ds = load_dataset(project.data)
    found: list[str] = []
    definitions = load_definitions(project)
    assert {d.slug for d in definitions} >= {NOTE, CAMB, "china-ai-accelerators"}
    for definition in definitions:
        rtype = load_report_types()[definition.type]()
        context = rtype.prose_context(ds, definition)
        assert "report" in context and "facts" in context
        for name, value in context.items():
            _walk(value, f"{definition.slug}: {name}", set(), found)
    assert found == [], "\n".join(found)


def test_the_walk_would_notice_a_path_or_a_dataframe() -> None:
    """The check above can fail: an undeclared object or a method declared to return a
    DataFrame is reported."""

    @prose_api("frame")
    class Leaky:
        def frame(self) -> pd.DataFrame:
            return pd.DataFrame()

    try:
        found: list[str] = []
        _walk(Leaky(), "leaky", set(), found)
        assert found == [f"leaky.frame() is declared to return {pd.DataFrame}"]
        with pytest.raises(NotAllowed, match="PosixPath object is not allowed"):
            _walk({"folder": REPO}, "ctx", set(), found)
    finally:
        del PROSE_ATTRS[Leaky]
