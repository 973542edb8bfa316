"""Report definitions: data/reports/<slug>/report.yaml, parsed and validated once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from reportgen.data.sources import LocDict, LocList, line_of, read_yaml
from reportgen.errors import DataError, Problem, ProblemList, SpecError

DEFINITION_FILE = "report.yaml"


@dataclass(frozen=True)
class ExhibitRef:
    """An exhibit placed in a report: registered id, parameters, number and caption.

    ``name`` identifies the placement within the report (file name of its SVG, what prose
    cites with ``fig(name)``): the id, or the id and its ``company`` parameter when one
    builder is placed once per company (``risk-reward-iluvatar``), or an explicit ``name``.
    """

    id: str
    number: int
    params: Mapping[str, Any]
    title: str | None = None
    source: str | None = None
    line: int | None = None
    name: str = ""


@dataclass(frozen=True)
class Section:
    """A body section: heading, its prose file, and the exhibits that follow the prose."""

    title: str
    prose: str | None
    exhibits: tuple[ExhibitRef, ...]


@dataclass(frozen=True)
class Analyst:
    """An analyst on the side bar (placeholders of our own in the samples)."""

    name: str
    role: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class ReportDefinition:
    """Everything a report declares: type, title, date, rating, prose files and exhibits."""

    slug: str
    folder: Path
    shown: str
    type: str
    title: str
    subtitle: str
    date: dt.date
    sector: str
    rating: str
    rating_action: str
    analysts: tuple[Analyst, ...]
    keywords: tuple[str, ...]
    summary: str | None
    key_points: str | None
    sections: tuple[Section, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    company: str | None = None
    companies: tuple[str, ...] = ()

    @property
    def exhibits(self) -> tuple[ExhibitRef, ...]:
        return tuple(e for s in self.sections for e in s.exhibits)

    def prose_files(self) -> tuple[str, ...]:
        names = [self.summary, self.key_points, *(s.prose for s in self.sections)]
        return tuple(n for n in names if n)


REQUIRED = ("type", "title", "date", "analysts", "sections")
OPTIONAL = (
    "subtitle",
    "sector",
    "rating",
    "rating_action",
    "keywords",
    "summary",
    "key_points",
    "facts",
    "options",
    "company",
    "companies",
)


def _str(doc: LocDict, key: str, shown: str, problems: ProblemList, default: str = "") -> str:
    value = doc.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        problems.add(shown, line_of(doc, key), key, f"expected text, found {value!r}")
        return default
    return value


def _prose_file(
    folder: Path, doc: LocDict, key: str, shown: str, problems: ProblemList
) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not (folder / value).is_file():
        problems.add(
            shown, line_of(doc, key), key, f"prose file '{value}' not found in {folder.name}/"
        )
        return None
    return value


def load_definition(
    folder: Path, shown_root: str, known_types: set[str], known_exhibits: set[str]
) -> ReportDefinition:
    """Parse and validate one report definition; every problem is listed before aborting."""
    shown = f"{shown_root}/{folder.name}/{DEFINITION_FILE}"
    try:
        doc = read_yaml(folder / DEFINITION_FILE, shown)
    except DataError as exc:
        raise SpecError(exc.problems) from exc
    problems = ProblemList()
    if not isinstance(doc, LocDict):
        raise SpecError([Problem(shown, 1, None, "expected a mapping of report settings")])
    for key in REQUIRED:
        if key not in doc:
            problems.add(shown, doc.line, key, "required key is missing")
    for key in doc:
        if key not in REQUIRED and key not in OPTIONAL:
            problems.add(
                shown,
                line_of(doc, key),
                key,
                f"unknown key; expected one of: {', '.join(REQUIRED + OPTIONAL)}",
            )
    if problems:
        raise SpecError(problems.items)
    rtype = _str(doc, "type", shown, problems)
    if rtype and rtype not in known_types:
        problems.add(
            shown,
            line_of(doc, "type"),
            "type",
            f"unknown report type '{rtype}'; known: {', '.join(sorted(known_types))}",
        )
    date = dt.date.min
    try:
        date = dt.date.fromisoformat(str(doc["date"]))
    except ValueError:
        problems.add(
            shown, line_of(doc, "date"), "date", f"'{doc['date']}' is not a date YYYY-MM-DD"
        )

    analysts: list[Analyst] = []
    raw_analysts = doc["analysts"]
    if not isinstance(raw_analysts, LocList) or not raw_analysts:
        problems.add(shown, line_of(doc, "analysts"), "analysts", "expected a list of analysts")
    else:
        for i, a in enumerate(raw_analysts):
            if not isinstance(a, dict) or not isinstance(a.get("name"), str):
                problems.add(
                    shown, line_of(raw_analysts, i), "analysts", "each analyst needs a name"
                )
                continue
            analysts.append(
                Analyst(
                    **{k: str(v) for k, v in a.items() if k in ("name", "role", "phone", "email")}
                )
            )

    sections: list[Section] = []
    number = 0
    raw_sections = doc["sections"]
    if not isinstance(raw_sections, LocList):
        problems.add(shown, line_of(doc, "sections"), "sections", "expected a list of sections")
        raw_sections = LocList()
        raw_sections.lines = []
    seen_ids: set[str] = set()
    for i, sec in enumerate(raw_sections):
        if not isinstance(sec, LocDict) or not isinstance(sec.get("title"), str):
            problems.add(shown, line_of(raw_sections, i), "sections", "each section needs a title")
            continue
        refs: list[ExhibitRef] = []
        raw_ex = sec.get("exhibits") or []
        for j, ex in enumerate(raw_ex):
            line = line_of(raw_ex, j)
            if isinstance(ex, str):
                ex = {"id": ex}
            if not isinstance(ex, dict) or not isinstance(ex.get("id"), str):
                problems.add(shown, line, "exhibits", "each exhibit needs an id")
                continue
            unknown = set(ex) - {"id", "params", "title", "source", "name"}
            if unknown:
                problems.add(
                    shown, line, "exhibits", f"unknown exhibit keys: {', '.join(sorted(unknown))}"
                )
            if ex["id"] not in known_exhibits:
                problems.add(
                    shown,
                    line,
                    "exhibits",
                    f"unknown exhibit '{ex['id']}'; "
                    f"registered: {', '.join(sorted(known_exhibits))}",
                )
                continue
            params = ex.get("params") or {}
            if not isinstance(params, dict):
                problems.add(shown, line, "params", "expected a mapping of parameters")
                params = {}
            company = params.get("company")
            name = ex.get("name") or (
                f"{ex['id']}-{company}" if isinstance(company, str) else ex["id"]
            )
            if name in seen_ids:
                problems.add(
                    shown, line, "exhibits", f"exhibit '{name}' placed twice (give one a name:)"
                )
                continue
            seen_ids.add(name)
            number += 1
            refs.append(
                ExhibitRef(
                    ex["id"],
                    number,
                    MappingProxyType(dict(params)),
                    ex.get("title"),
                    ex.get("source"),
                    line,
                    str(name),
                )
            )
        sections.append(
            Section(sec["title"], _prose_file(folder, sec, "prose", shown, problems), tuple(refs))
        )
    facts = doc.get("facts") or {}
    if not isinstance(facts, dict):
        problems.add(shown, line_of(doc, "facts"), "facts", "expected a mapping of stated facts")
        facts = {}
    keywords = doc.get("keywords") or []
    problems.raise_if_any(SpecError)
    return ReportDefinition(
        slug=folder.name,
        folder=folder,
        shown=shown,
        type=rtype,
        title=_str(doc, "title", shown, problems),
        subtitle=_str(doc, "subtitle", shown, problems),
        date=date,
        sector=_str(doc, "sector", shown, problems),
        rating=_str(doc, "rating", shown, problems),
        rating_action=_str(doc, "rating_action", shown, problems),
        analysts=tuple(analysts),
        keywords=tuple(str(k) for k in keywords),
        summary=_prose_file(folder, doc, "summary", shown, problems),
        key_points=_prose_file(folder, doc, "key_points", shown, problems),
        sections=tuple(sections),
        facts=MappingProxyType(dict(facts)),
        options=MappingProxyType(dict(doc.get("options") or {})),
        company=doc.get("company"),
        companies=tuple(str(c) for c in doc.get("companies") or ()),
    )


def discover(reports_dir: Path) -> list[Path]:
    """Report folders (those holding a report.yaml), sorted by slug."""
    if not reports_dir.is_dir():
        return []
    return sorted(p.parent for p in reports_dir.glob(f"*/{DEFINITION_FILE}"))
