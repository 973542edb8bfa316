"""Report definitions: data/reports/<slug>/report.yaml, parsed and validated once.

Every key report.yaml may hold is declared once, in ``DEFINITION`` below (its shape: text,
number, date, list, mapping, and what each must satisfy). The whole file is checked against
that declaration, every problem collected, before any value is used; only then is the
``ReportDefinition`` built. Prose files must stay inside data/reports/ (the report's own
folder, or a sibling report's folder for shared prose) and placement names are plain slugs,
so nothing a definition names can read or write outside the project.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from reportgen.data.sources import LocDict, line_of, read_yaml
from reportgen.errors import DataError, Problem, ProblemList, SpecError

DEFINITION_FILE = "report.yaml"
#: What a placement name (the file name of its SVG under figures/<slug>/) may look like.
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
NAME_RULE = "lower-case letters, digits, '-' and '_', starting with a letter or digit, at most 100"
#: Prose file names: Markdown, at most this long (a longer path cannot be a file anyway).
PROSE_SUFFIX = ".md"
MAX_PATH = 255
#: The PDF variants WeasyPrint writes that a definition may ask for (as `--pdf-variant`).
PDF_VARIANTS = ("pdf/a-3b", "pdf/a-2b", "pdf/ua-1")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LANG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    """A body section: heading, its prose file, and the exhibits that follow the prose.

    ``part`` and ``company`` are what initiations use to lay a section out as a company's
    cover, positives or background (checked against the data by the report type).
    """

    title: str
    prose: str | None
    exhibits: tuple[ExhibitRef, ...]
    part: str | None = None
    company: str | None = None
    #: Placed by the report type, not report.yaml (reports/history.py: changes since the
    #: company's last note); its layout needs no section keys.
    automatic: bool = False


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
    #: Exhibits the disclosures place (not report.yaml): reports/disclosures.py adds them.
    disclosure_exhibits: tuple[ExhibitRef, ...] = ()

    @property
    def exhibits(self) -> tuple[ExhibitRef, ...]:
        return (*(e for s in self.sections for e in s.exhibits), *self.disclosure_exhibits)

    def prose_files(self) -> tuple[str, ...]:
        names = [self.summary, self.key_points, *(s.prose for s in self.sections)]
        return tuple(n for n in names if n)


# --- the declared schema -------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What the checks of one definition need beyond its own text."""

    folder: Path
    reports: Path  # data/reports, resolved
    known_types: frozenset[str]
    known_exhibits: frozenset[str]
    #: {exhibit id: its module} for exhibits of modules the project does not enable.
    disabled: Mapping[str, str] = field(default_factory=dict)


#: An extra check on a value of the right type: a problem message, or None when it is fine.
Rule = Callable[[Any, Context], str | None]


@dataclass(frozen=True)
class Text:
    """A string (a number or list is refused, not converted); ``rule`` checks it further."""

    what: str = "text"
    nonempty: bool = False
    rule: Rule | None = None

    def describe(self) -> str:
        return self.what


@dataclass(frozen=True)
class Number:
    """A finite number (an integer when ``integer``) in [minimum, maximum]."""

    what: str
    minimum: float
    maximum: float
    integer: bool = False

    def describe(self) -> str:
        return self.what


@dataclass(frozen=True)
class Date:
    """A calendar date written YYYY-MM-DD."""

    def describe(self) -> str:
        return "a date YYYY-MM-DD"


@dataclass(frozen=True)
class OneOf:
    """Text or a number (a stated fact's value)."""

    options: tuple[Text | Number, ...]
    what: str

    def describe(self) -> str:
        return self.what


@dataclass(frozen=True)
class ListOf:
    """A list whose items all have the shape ``item``; ``unique`` items may not repeat."""

    item: Shape
    what: str
    nonempty: bool = False
    unique: bool = False

    def describe(self) -> str:
        return self.what


@dataclass(frozen=True)
class Key:
    """One key of a ``Record``: its shape and whether it must be present."""

    name: str
    shape: Shape
    required: bool = False


@dataclass(frozen=True)
class Record:
    """A mapping with declared keys; any other key is an error. ``short`` is a plain-text
    form of the record (an exhibit written as just its id): it stands for ``{short: value}``."""

    keys: tuple[Key, ...]
    what: str
    short: str | None = None

    def describe(self) -> str:
        return self.what

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)


@dataclass(frozen=True)
class MapOf:
    """A mapping from free text keys to values of one shape (``None``: any value)."""

    value: Shape | None
    what: str

    def describe(self) -> str:
        return self.what


Shape = Text | Number | Date | OneOf | ListOf | Record | MapOf


def _known_type(value: str, ctx: Context) -> str | None:
    if value not in ctx.known_types:
        return f"unknown report type '{value}'; known: {', '.join(sorted(ctx.known_types))}"
    return None


def _known_exhibit(value: str, ctx: Context) -> str | None:
    if value not in ctx.known_exhibits:
        return f"unknown exhibit '{value}'; registered: {', '.join(sorted(ctx.known_exhibits))}"
    if value in ctx.disabled:
        module = ctx.disabled[value]
        return f"exhibit '{value}' belongs to module {module}; add it to modules in reportgen.yaml"
    return None


def _disabled_exhibits(folder: Path) -> dict[str, str]:
    """Exhibits of modules the project (data/reports/<slug>'s root) does not enable."""
    from reportgen.config import enabled_modules
    from reportgen.figures.registry import EXHIBITS
    from reportgen.modules import disabled_exhibits

    enabled = enabled_modules(folder.parent.parent.parent)
    return disabled_exhibits({k: v.tables for k, v in EXHIBITS.items()}, enabled)


def _plain_name(value: str, ctx: Context) -> str | None:
    if not NAME.match(value):
        return f"placement name '{value}' is not a plain name ({NAME_RULE} characters)"
    return None


def _one_of(choices: tuple[str, ...]) -> Rule:
    def rule(value: str, ctx: Context) -> str | None:
        if value not in choices:
            return f"'{value}' is not one of: {', '.join(choices)}"
        return None

    return rule


def _language(value: str, ctx: Context) -> str | None:
    if not _LANG.match(value):
        return f"'{value}' is not a language tag such as en or zh-Hans"
    return None


def prose_problem(value: str, ctx: Context) -> str | None:
    """Why ``value`` is not a prose file this report may use, or None.

    Allowed: a Markdown file in the report's folder (``summary.md``, ``notes/a.md``) or in a
    sibling report's folder (``../cambricon/valuation.md``: the industry initiation shares
    the company initiations' prose), that, after following symlinks, is a regular file inside
    data/reports/. Absolute paths and any other ``..`` are refused before the disk is read.
    """
    where = f"prose file '{value}'"
    path = PurePosixPath(value)
    if len(value) > MAX_PATH:
        return f"{where} is longer than {MAX_PATH} characters"
    if path.is_absolute() or value.startswith("~"):
        return f"{where} is an absolute path; expected a file in {ctx.folder.name}/"
    parts = path.parts
    sibling = len(parts) >= 3 and parts[0] == ".." and parts[1] not in ("", ".", "..")
    if ".." in (parts[2:] if sibling else parts):
        return (
            f"{where} leaves the report's folder; expected a file in {ctx.folder.name}/ "
            "or in another report's folder as ../<report>/<file>.md"
        )
    if sibling and not (ctx.folder.parent / parts[1] / DEFINITION_FILE).is_file():
        return f"{where}: '{parts[1]}' is not a report folder under data/reports/"
    if path.suffix != PROSE_SUFFIX:
        return f"{where} is not a Markdown file (expected a name ending in {PROSE_SUFFIX})"
    target = ctx.folder / path
    if not target.exists() and not target.is_symlink():
        return f"{where} not found in {ctx.folder.name}/"
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link or a loop
        return f"{where} is a symlink that leads nowhere"
    if not real.is_relative_to(ctx.reports):
        return f"{where} resolves outside data/reports/ (a symlink leaving the project)"
    if not stat.S_ISREG(real.stat().st_mode):
        return f"{where} is not a regular file"
    return None


def _text(what: str = "text", rule: Rule | None = None, nonempty: bool = False) -> Text:
    return Text(what=what, nonempty=nonempty, rule=rule)


_PROSE = _text("the name of a prose file (.md) in the report's folder", prose_problem)
_EXHIBIT = Record(
    (
        Key("id", _text("a registered exhibit id", _known_exhibit, nonempty=True), required=True),
        Key("name", _text("a placement name", _plain_name, nonempty=True)),
        Key("title", _text()),
        Key("source", _text()),
        # Each exhibit's own parameters are declared (and checked) by the exhibit registry.
        Key("params", MapOf(None, "a mapping of parameters")),
    ),
    "an exhibit: its id, or a mapping with id (and name, title, source, params)",
    short="id",
)
_SECTION = Record(
    (
        Key("title", _text(nonempty=True), required=True),
        Key("prose", _PROSE),
        Key("exhibits", ListOf(_EXHIBIT, "a list of exhibits")),
        Key("part", _text("a section part")),  # values checked by the initiation types
        Key("company", _text("a company slug")),
    ),
    "a section: a mapping with title (and prose, exhibits, part, company)",
)
_ANALYST = Record(
    (
        Key("name", _text(nonempty=True), required=True),
        Key("role", _text()),
        Key("phone", _text("text (quote a phone number)")),
        Key("email", _text()),
    ),
    "an analyst: a mapping with name (and role, phone, email)",
)
_FACT = Record(
    (
        Key(
            "value",
            OneOf((Text(), Number("a number", -math.inf, math.inf)), "a number or text"),
            required=True,
        ),
        Key("unit", _text()),
        Key("source", _text(nonempty=True), required=True),
    ),
    "a stated fact: a mapping with value, source (and unit)",
)
_OPTIONS = Record(
    (
        Key("pdf_variant", _text("a PDF variant", _one_of(PDF_VARIANTS))),
        Key("render_seconds", Number("a number of seconds from 1 to 3600", 1, 3600)),
        Key(
            "render_memory_mb",
            Number("a whole number of megabytes from 256 to 65536", 256, 65536, integer=True),
        ),
        Key("lang", _text("a language tag", _language)),
    ),
    "a mapping of options (pdf_variant, render_seconds, render_memory_mb, lang)",
)

#: Every key report.yaml may hold, its shape and whether it is required.
DEFINITION = Record(
    (
        Key("type", _text("a report type", _known_type), required=True),
        Key("title", _text(nonempty=True), required=True),
        Key("date", Date(), required=True),
        Key(
            "analysts",
            ListOf(_ANALYST, "a list of analysts", nonempty=True),
            required=True,
        ),
        Key("sections", ListOf(_SECTION, "a list of sections"), required=True),
        Key("subtitle", _text()),
        Key("sector", _text()),
        Key("rating", _text()),
        Key("rating_action", _text()),
        Key("keywords", ListOf(_text(nonempty=True), "a list of keywords")),
        Key("summary", _PROSE),
        Key("key_points", _PROSE),
        Key("facts", MapOf(_FACT, "a mapping of stated facts")),
        Key("options", _OPTIONS),
        Key("company", _text("a company slug", nonempty=True)),
        Key(
            "companies",
            ListOf(
                _text("a company slug", nonempty=True),
                "a list of company slugs",
                nonempty=True,
                unique=True,
            ),
        ),
    ),
    "a mapping of report settings",
)


def found(value: Any) -> str:
    """A short description of a YAML value for 'expected X, found Y'."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        text = repr(value)
        return f"the number {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, str):
        return f"the text {_clip(value)!r}" if value.strip() else "empty text"
    if isinstance(value, list):
        return f"a list {_clip(repr(list(value)))}"
    if isinstance(value, dict):
        return f"a mapping {_clip(repr(dict(value)))}"
    return f"a {type(value).__name__}"


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Checker:
    """Checks a parsed report.yaml against ``DEFINITION``, collecting every problem."""

    def __init__(self, shown: str, ctx: Context):
        self.shown = shown
        self.ctx = ctx
        self.problems = ProblemList()

    def add(self, line: int | None, key: str, message: str) -> None:
        self.problems.add(self.shown, line, key, message)

    def expected(self, line: int | None, key: str, shape: Shape, value: Any) -> None:
        hint = ""
        if isinstance(shape, Text) and isinstance(value, int | float):
            hint = " (put text that looks like a number in quotes)"
        self.add(line, key, f"expected {shape.describe()}, found {found(value)}{hint}")

    def check(self, value: Any, shape: Shape, key: str, line: int | None) -> bool:
        """Whether ``value`` fits ``shape``; each misfit is added as a problem."""
        if isinstance(shape, Text):
            return self._text(value, shape, key, line)
        if isinstance(shape, Number):
            return self._number(value, shape, key, line)
        if isinstance(shape, Date):
            return self._date(value, key, line)
        if isinstance(shape, OneOf):
            if any(self._fits(value, option) for option in shape.options):
                return True
            self.expected(line, key, shape, value)
            return False
        if isinstance(shape, ListOf):
            return self._list(value, shape, key, line)
        if isinstance(shape, Record):
            return self.record(value, shape, key, line)
        return self._map(value, shape, key, line)

    def _fits(self, value: Any, shape: Text | Number) -> bool:
        trial = Checker(self.shown, self.ctx)
        return trial.check(value, shape, "", None)

    def _text(self, value: Any, shape: Text, key: str, line: int | None) -> bool:
        if not isinstance(value, str) or (shape.nonempty and not value.strip()):
            self.expected(line, key, shape, value)
            return False
        if _CONTROL.search(value):
            self.add(line, key, f"expected {shape.describe()} without control characters")
            return False
        message = shape.rule(value, self.ctx) if shape.rule else None
        if message:
            self.add(line, key, message)
            return False
        return True

    def _number(self, value: Any, shape: Number, key: str, line: int | None) -> bool:
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and (isinstance(value, int) or not shape.integer)
            and shape.minimum <= value <= shape.maximum
        )
        if not ok:
            self.expected(line, key, shape, value)
        return ok

    def _date(self, value: Any, key: str, line: int | None) -> bool:
        if isinstance(value, str) and _DATE.match(value):
            try:
                dt.date.fromisoformat(value)
                return True
            except ValueError:
                self.add(line, key, f"'{value}' is not a date YYYY-MM-DD (no such day)")
                return False
        if isinstance(value, str):
            self.add(line, key, f"'{value}' is not a date YYYY-MM-DD")
        else:
            self.expected(line, key, Date(), value)
        return False

    def _list(self, value: Any, shape: ListOf, key: str, line: int | None) -> bool:
        if not isinstance(value, list) or (shape.nonempty and not value):
            self.expected(line, key, shape, value)
            return False
        ok = True
        first: dict[Any, int | None] = {}
        for i, item in enumerate(value):
            item_line = line_of(value, i) or line
            if not self.check(item, shape.item, key, item_line):
                ok = False
                continue
            if shape.unique and isinstance(item, str):
                if item in first:
                    at = f" (first on line {first[item]})" if first[item] else ""
                    self.add(item_line, key, f"'{item}' is listed twice{at}; list each once")
                    ok = False
                first.setdefault(item, item_line)
        return ok

    def record(self, value: Any, shape: Record, key: str, line: int | None) -> bool:
        """Check a mapping against its declared keys (or the short text form)."""
        if shape.short is not None and isinstance(value, str):
            inner = shape.key(shape.short)
            assert inner is not None
            return self.check(value, inner.shape, shape.short, line)
        if not isinstance(value, dict):
            self.expected(line, key, shape, value)
            return False
        ok = True
        here = getattr(value, "line", None) or line
        for declared in shape.keys:
            if declared.required and declared.name not in value:
                self.add(here, declared.name, "required key is missing")
                ok = False
        names = [k.name for k in shape.keys]
        for name, item in value.items():
            item_line = line_of(value, name) or here
            declared_key = shape.key(name)
            if declared_key is None:
                self.add(item_line, name, f"unknown key; expected one of: {', '.join(names)}")
                ok = False
            elif item is None and not declared_key.required:
                continue  # an optional key left empty is as if absent
            elif not self.check(item, declared_key.shape, name, item_line):
                ok = False
        return ok

    def _map(self, value: Any, shape: MapOf, key: str, line: int | None) -> bool:
        if not isinstance(value, dict):
            self.expected(line, key, shape, value)
            return False
        ok = True
        for name, item in value.items():
            item_line = line_of(value, name) or line
            if not name.strip():
                self.add(item_line, key, "expected a name before ':', found empty text")
                ok = False
            elif shape.value is not None:
                ok = self.check(item, shape.value, name, item_line) and ok
        return ok


# --- loading -------------------------------------------------------------------------------


def _placements(doc: LocDict, checker: Checker) -> list[list[ExhibitRef]]:
    """Each section's exhibits, numbered, named and checked for plain, unique names.

    Runs on a definition that passed the schema, so every value has its declared type.
    """
    out: list[list[ExhibitRef]] = []
    seen: set[str] = set()
    number = 0
    for sec in doc["sections"]:
        refs: list[ExhibitRef] = []
        raw = sec.get("exhibits") or []
        for j, ex in enumerate(raw):
            line = line_of(raw, j) or line_of(sec, "exhibits")
            if isinstance(ex, str):
                ex = {"id": ex}
            params = ex.get("params") or {}
            company = params.get("company")
            if ex.get("name"):
                name = ex["name"]
            elif isinstance(company, str):
                name = f"{ex['id']}-{company}"
                if not NAME.match(name):
                    checker.add(
                        line,
                        "params",
                        f"exhibit '{ex['id']}' for company '{_clip(company)}' would be "
                        f"named '{_clip(name)}', not a plain name ({NAME_RULE} characters); "
                        "give it a name:",
                    )
                    continue
            else:
                name = ex["id"]
            if name in seen:
                checker.add(line, "exhibits", f"exhibit '{name}' placed twice (give one a name:)")
                continue
            seen.add(name)
            number += 1
            refs.append(
                ExhibitRef(
                    ex["id"],
                    number,
                    MappingProxyType(dict(params)),
                    ex.get("title"),
                    ex.get("source"),
                    line,
                    name,
                )
            )
        out.append(refs)
    return out


def load_definition(
    folder: Path, shown_root: str, known_types: set[str], known_exhibits: set[str]
) -> ReportDefinition:
    """Parse and validate one report definition; every problem is listed before aborting.

    ``folder`` is data/reports/<slug>; it and its report.yaml must resolve inside
    data/reports/ (a report folder that is a symlink to elsewhere is refused).
    """
    shown = f"{shown_root}/{folder.name}/{DEFINITION_FILE}"
    reports = folder.parent.resolve()
    if not (folder / DEFINITION_FILE).resolve().is_relative_to(reports):
        raise SpecError(
            [Problem(shown, None, None, "resolves outside data/reports/ (a symlink leaving it)")]
        )
    try:
        doc = read_yaml(folder / DEFINITION_FILE, shown)
    except DataError as exc:
        raise SpecError(exc.problems) from exc
    if not isinstance(doc, LocDict):
        raise SpecError(
            [Problem(shown, 1, None, f"expected {DEFINITION.what}, found {found(doc)}")]
        )
    disabled = _disabled_exhibits(folder)
    ctx = Context(folder, reports, frozenset(known_types), frozenset(known_exhibits), disabled)
    checker = Checker(shown, ctx)
    checker.record(doc, DEFINITION, "", doc.line)
    checker.problems.raise_if_any(SpecError)
    # From here on every value has its declared shape.
    placements = _placements(doc, checker)
    checker.problems.raise_if_any(SpecError)
    options = doc.get("options") or {}
    return ReportDefinition(
        slug=folder.name,
        folder=folder,
        shown=shown,
        type=doc["type"],
        title=doc["title"],
        subtitle=doc.get("subtitle") or "",
        date=dt.date.fromisoformat(doc["date"]),
        sector=doc.get("sector") or "",
        rating=doc.get("rating") or "",
        rating_action=doc.get("rating_action") or "",
        analysts=tuple(
            Analyst(
                name=a["name"],
                role=a.get("role") or "",
                phone=a.get("phone") or "",
                email=a.get("email") or "",
            )
            for a in doc["analysts"]
        ),
        keywords=tuple(doc.get("keywords") or ()),
        summary=doc.get("summary"),
        key_points=doc.get("key_points"),
        sections=tuple(
            Section(
                title=sec["title"],
                prose=sec.get("prose"),
                exhibits=tuple(refs),
                part=sec.get("part"),
                company=sec.get("company"),
            )
            for sec, refs in zip(doc["sections"], placements, strict=True)
        ),
        facts=MappingProxyType({k: dict(v) for k, v in (doc.get("facts") or {}).items()}),
        options=MappingProxyType({k: v for k, v in options.items() if v is not None}),
        company=doc.get("company"),
        companies=tuple(doc.get("companies") or ()),
    )


def discover(reports_dir: Path) -> list[Path]:
    """Report folders (those holding a report.yaml), sorted by slug."""
    if not reports_dir.is_dir():
        return []
    return sorted(p.parent for p in reports_dir.glob(f"*/{DEFINITION_FILE}"))
