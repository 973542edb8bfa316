"""What changed since a company's last publication, read from the release history.

Read-only query objects over ``read_history`` (the registry as the build reads it) for
templates, prose and exhibits: each covered company's releases, the previous one, and the
estimate changes (previous and new rating, price target and key estimates with their
actions and change in percent). Plain values only: frozen dataclasses and tuples.

Also the one definition of the covered companies a report mentions (the disclosures' stocks
mentioned and a sector note's release facts both use it), and the automatic "changes since
our last note" section of an initiation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from reportgen.data.dataset import Dataset
from reportgen.data.history import read_history
from reportgen.data.sources import read_yaml
from reportgen.errors import DataError, Problem
from reportgen.models.actions import pct_change, rating_action, target_action
from reportgen.prose_api import allow_prose, prose_api
from reportgen.publish.model import (
    HISTORY_FILE,
    CoveredCompany,
    Estimate,
    History,
    Release,
    sort_key,
)
from reportgen.reports.definition import ExhibitRef, ReportDefinition, Section

#: The registered exhibit showing previous and new values (figures/changes.py).
CHANGES_EXHIBIT = "estimate-changes"
#: The heading of the automatic section (an industry initiation prefixes the company's name).
CHANGES_TITLE = "Changes since our last note"
#: How the estimate-changes table and release facts name each key estimate, in table order.
METRIC_LABELS: Mapping[str, str] = MappingProxyType(
    {"revenue": "Revenue", "net_profit": "Net profit", "eps": "EPS"}
)

allow_prose(CoveredCompany, {f.name for f in dataclasses.fields(CoveredCompany)})
allow_prose(Estimate, {f.name for f in dataclasses.fields(Estimate)})


@prose_api()
@dataclass(frozen=True)
class CompanyRelease:
    """One company as one release rated it, with the release's id, report and date."""

    release_id: str
    slug: str  # the report published
    report_type: str
    title: str
    report_date: str  # ISO date
    published_at: str  # ISO UTC timestamp
    company: CoveredCompany


@prose_api("target_change_pct", "first")
@dataclass(frozen=True)
class Actions:
    """What the first page marks for one company: rating and target, before and now."""

    company: str
    rating: str
    rating_action: str  # Initiate, Maintain, Upgrade, Downgrade
    target: float | None
    target_action: str  # Initiate, Maintain, Raise, Lower
    currency: str
    previous_rating: str | None = None
    previous_target: float | None = None
    previous_currency: str | None = None
    previous_release_id: str | None = None
    previous_date: str | None = None  # ISO date of the previous release's report

    @property
    def first(self) -> bool:
        """Nothing was published on the company before: this is its initiation."""
        return self.previous_release_id is None

    @property
    def target_change_pct(self) -> float | None:
        """The target's change in percent (None: no previous target, or another currency)."""
        if self.previous_currency != self.currency:
            return None
        return pct_change(self.previous_target, self.target)


@prose_api()
@dataclass(frozen=True)
class EstimateChange:
    """One key estimate for one year: previous, new and the change in percent (None: NM)."""

    metric: str  # revenue, net_profit, eps
    label: str  # as the table prints it, e.g. 'Revenue'
    year: str  # as the report labels it, e.g. '2026E'
    unit: str  # e.g. 'Rmb mn'
    previous: float | None
    new: float | None
    change_pct: float | None


@prose_api()
@dataclass(frozen=True)
class EstimateChanges:
    """A company's changes since its previous release: actions and estimate rows."""

    actions: Actions
    rows: tuple[EstimateChange, ...]


def same_facts(a: CoveredCompany, b: CoveredCompany) -> bool:
    """Whether two entries state the same view (rating, price, target, estimates): a release
    of the build at hand, published already, is not its own previous note."""

    def close(x: float | None, y: float | None) -> bool:
        if x is None or y is None:
            return x is y
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12)

    if (a.company, a.rating, a.price_date, a.currency) != (
        b.company,
        b.rating,
        b.price_date,
        b.currency,
    ):
        return False
    if not close(a.price, b.price) or not close(a.price_target, b.price_target):
        return False
    ea = sorted(a.estimates, key=lambda e: (e.metric, e.year))
    eb = sorted(b.estimates, key=lambda e: (e.metric, e.year))
    return len(ea) == len(eb) and all(
        (x.metric, x.year, x.unit) == (y.metric, y.year, y.unit) and close(x.value, y.value)
        for x, y in zip(ea, eb, strict=True)
    )


@prose_api("entries", "previous", "latest")
class ReleaseHistory:
    """Questions templates and prose may ask of the published releases (oldest first)."""

    def __init__(self, history: History):
        self._releases = tuple(sorted(history.releases, key=sort_key))

    @classmethod
    def of(cls, ds: Dataset) -> ReleaseHistory:
        """The project's release history (the read is recorded as a build input)."""
        return cls(read_history(ds.root.parent))

    def releases(self, as_of: dt.date | None = None) -> tuple[Release, ...]:
        """Every release dated on or before ``as_of`` (all when None), oldest first."""
        day = as_of.isoformat() if as_of is not None else None
        return tuple(r for r in self._releases if day is None or r.report_date <= day)

    def entries(self, company: str, as_of: dt.date | None = None) -> tuple[CompanyRelease, ...]:
        """Every release covering ``company`` (a folder name), oldest first."""
        return tuple(
            CompanyRelease(
                r.release_id, r.slug, r.report_type, r.title, r.report_date, r.published_at, c
            )
            for r in self.releases(as_of)
            for c in r.companies
            if c.company == company
        )

    def previous(
        self,
        company: str,
        as_of: dt.date | None = None,
        current: CoveredCompany | None = None,
    ) -> CompanyRelease | None:
        """The latest release covering ``company`` from any report (None: never published).

        With ``current`` (the view this build states), trailing releases stating exactly that
        view are this build published already, not its previous note, and are passed over.
        """
        entries = list(self.entries(company, as_of))
        while entries and current is not None and same_facts(entries[-1].company, current):
            entries.pop()
        return entries[-1] if entries else None

    def latest(self, as_of: dt.date | None = None) -> tuple[CompanyRelease, ...]:
        """Each company's latest entry (its current published rating), by company folder."""
        found: dict[str, CompanyRelease] = {}
        for r in self.releases(as_of):
            for c in r.companies:
                found[c.company] = CompanyRelease(
                    r.release_id, r.slug, r.report_type, r.title, r.report_date, r.published_at, c
                )
        return tuple(found[k] for k in sorted(found))


def stock_ratings(ds: Dataset) -> tuple[str, ...]:
    """The house's stock ratings, best first (house.yaml ratings.stock, next to data/)."""
    from reportgen.reports.disclosures import stock_ratings as from_house

    path = ds.root / "house.yaml"
    house = read_yaml(path, "data/house.yaml") if path.is_file() else {}
    return from_house(house if isinstance(house, Mapping) else {})


def company_actions(
    previous: CompanyRelease | None, current: CoveredCompany, order: Sequence[str]
) -> Actions:
    """The rating and target actions of ``current`` against the previous release (none:
    Initiate). A rating outside the house's ratings is a DataError at the history file."""
    before = previous.company if previous is not None else None
    try:
        rating = rating_action(before.rating if before else None, current.rating, order)
        target = (
            target_action(before.price_target, current.price_target)
            if before is not None
            else target_action(None, current.price_target)
        )
    except ValueError as exc:
        where = f"release {previous.release_id}" if previous is not None else "this report"
        raise DataError(
            [Problem(HISTORY_FILE, None, None, f"{current.company} ({where}): {exc}")]
        ) from exc
    return Actions(
        company=current.company,
        rating=current.rating,
        rating_action=rating,
        target=current.price_target,
        target_action=target,
        currency=current.currency,
        previous_rating=before.rating if before else None,
        previous_target=before.price_target if before else None,
        previous_currency=before.currency if before else None,
        previous_release_id=previous.release_id if previous else None,
        previous_date=previous.report_date if previous else None,
    )


def _year_key(year: str) -> tuple[str, bool]:
    return (year[:4], year.endswith("E"))


def estimate_changes(
    previous: CompanyRelease | None, current: CoveredCompany, order: Sequence[str]
) -> EstimateChanges:
    """Actions plus one row per key estimate and forecast year this build states (years
    labelled 'E'), set against the previous release's value for the same metric and year;
    a value in another unit has no previous value to compare."""
    actions = company_actions(previous, current, order)
    before = {
        (e.metric, e.year, e.unit): e.value
        for e in (previous.company.estimates if previous is not None else ())
    }
    rows = []
    metrics = [m for m in METRIC_LABELS if any(e.metric == m for e in current.estimates)]
    for metric in metrics:
        mine = sorted(
            (e for e in current.estimates if e.metric == metric and e.year.endswith("E")),
            key=lambda e: _year_key(e.year),
        )
        for e in mine:
            old = before.get((metric, e.year, e.unit))
            rows.append(
                EstimateChange(
                    metric,
                    METRIC_LABELS[metric],
                    e.year,
                    e.unit,
                    old,
                    e.value,
                    pct_change(old, e.value),
                )
            )
    return EstimateChanges(actions, tuple(rows))


def changes_of(ds: Dataset, definition: ReportDefinition, slug: str) -> EstimateChanges:
    """A covered company's changes since its previous release, as of the report's date
    (prose: ``changes.metax.actions.target_action``)."""
    from reportgen.reports.initiation import covered_company_of

    current = covered_company_of(ds, slug, definition.shown)
    previous = ReleaseHistory.of(ds).previous(slug, definition.date, current)
    return estimate_changes(previous, current, stock_ratings(ds))


# --- companies a report mentions ----------------------------------------------------------------


_TAG = re.compile(r"<[^>]*>")


def plain_text(markup: str) -> str:
    """Text of HTML or SVG markup: tags dropped, entities decoded (names match as printed)."""
    return html.unescape(_TAG.sub(" ", markup))


def exhibit_texts(exhibits: Iterable[Any]) -> tuple[str, ...]:
    """The printed text of rendered exhibits: table labels, cells and notes, chart text."""
    texts: list[str] = []
    for ex in exhibits:
        texts += [str(ex.title), str(ex.source)]
        if ex.svg is not None:
            texts.append(plain_text(ex.svg.decode("utf-8", "replace")))
        table = ex.table
        if table is not None:
            texts += [c.label for c in table.columns]
            texts += [label for label, _ in table.header_groups]
            texts += list(table.notes)
            for group in table.groups:
                texts.append(group.label)
                for row in group.rows:
                    texts += list(row.cells)
    return tuple(texts)


def _mentions(needle: str, text: str) -> bool:
    """``needle`` as a whole word (or ticker) in ``text``."""
    if not needle.strip():
        return False
    return re.search(rf"(?<![\w.]){re.escape(needle)}(?![\w])", text) is not None


def mentioned_companies(
    ds: Dataset, definition: ReportDefinition, texts: Iterable[str]
) -> tuple[str, ...]:
    """Covered companies (folders under data/companies) whose name, short name or ticker
    appears as a whole word in ``texts`` (the report's prose and exhibits), plus those the
    definition covers by name (company:, companies:); sorted by folder name."""
    joined = "\n".join(plain_text(t) for t in texts)
    named = {s for s in (definition.company, *definition.companies) if s}
    found = []
    for slug in sorted(ds.companies):
        company = ds.companies[slug]
        names = (company.name, company.short_name, company.ticker)
        if slug in named or any(_mentions(n, joined) for n in names):
            found.append(slug)
    return tuple(found)


def report_texts(ds: Dataset, definition: ReportDefinition) -> tuple[str, ...]:
    """What a report prints, built again: its prose rendered and its body's exhibits built
    (what ``mentioned_companies`` reads when no build is at hand, e.g. when publishing)."""
    from reportgen.build import build_exhibit
    from reportgen.deps import read_bytes
    from reportgen.render.prose import decode_prose, render_prose
    from reportgen.reports.base import load_report_types

    rtype = load_report_types()[definition.type]()
    numbers = {r.name: r.number for r in definition.exhibits}
    context = {**rtype.prose_context(ds, definition), "fig": lambda n: f"Figure {numbers[n]}"}
    folder = PurePosixPath(definition.shown).parent
    texts = []
    for name in definition.prose_files():
        shown = str(folder / name)
        data = read_bytes(definition.folder / name)
        texts.append(str(render_prose(decode_prose(data, shown), shown, context)))
    body = [build_exhibit(ds, definition, r) for s in definition.sections for r in s.exhibits]
    return (*texts, *exhibit_texts(body))


# --- the automatic section ---------------------------------------------------------------------


def _valuation_index(sections: Sequence[Section], slug: str, single: bool) -> int:
    """Where a company's changes section goes: before its valuation (the section placing
    its ri-valuation exhibit, else one titled Valuation), else after its last section."""

    def mine(s: Section) -> bool:
        return single or s.company == slug

    for i, s in enumerate(sections):
        if mine(s) and any(
            r.id == "ri-valuation" and r.params.get("company") == slug for r in s.exhibits
        ):
            return i
    for i, s in enumerate(sections):
        if mine(s) and "valuation" in s.title.casefold():
            return i
    last = [i for i, s in enumerate(sections) if mine(s)]
    return last[-1] + 1 if last else len(sections)


def renumbered(definition: ReportDefinition, sections: Sequence[Section]) -> ReportDefinition:
    """``definition`` with ``sections``, every exhibit numbered again in page order (body,
    then the disclosures' placements)."""
    number = 0
    out = []
    for s in sections:
        refs = []
        for r in s.exhibits:
            number += 1
            refs.append(dataclasses.replace(r, number=number))
        out.append(dataclasses.replace(s, exhibits=tuple(refs)))
    extra = []
    for r in definition.disclosure_exhibits:
        number += 1
        extra.append(dataclasses.replace(r, number=number))
    return dataclasses.replace(definition, sections=tuple(out), disclosure_exhibits=tuple(extra))


def changes_section(
    ds: Dataset, definition: ReportDefinition, slugs: Sequence[str], single: bool
) -> ReportDefinition:
    """The definition with a "changes since our last note" section for each of ``slugs``
    published before (placed before the company's valuation), unless report.yaml places
    the estimate-changes exhibit for it itself; exhibits renumbered."""
    from reportgen.reports.initiation import covered_company_of

    placed = {r.params.get("company") for r in definition.exhibits if r.id == CHANGES_EXHIBIT}
    history = ReleaseHistory.of(ds)
    sections = list(definition.sections)
    for slug in slugs:
        if slug in placed or slug not in ds.companies:
            continue
        current = covered_company_of(ds, slug, definition.shown)
        if history.previous(slug, definition.date, current) is None:
            continue
        company = ds.companies[slug]
        title = CHANGES_TITLE if single else f"{company.short_name}: changes since our last note"
        params = MappingProxyType({"company": slug, "date": definition.date.isoformat()})
        ref = ExhibitRef(CHANGES_EXHIBIT, 0, params, name=f"{CHANGES_EXHIBIT}-{slug}")
        section = Section(title, None, (ref,), None, slug, automatic=True)
        sections.insert(_valuation_index(sections, slug, single), section)
    if len(sections) == len(definition.sections):
        return definition
    return renumbered(definition, sections)


def with_changes(ds: Dataset, definition: ReportDefinition) -> ReportDefinition:
    """The definition with its automatic estimate-changes sections (initiations only)."""
    from reportgen.reports.base import load_report_types

    rtype = load_report_types()[definition.type]()
    place = getattr(rtype, "changes_companies", None)
    if place is None:
        return definition
    slugs, single = place(definition)
    return changes_section(ds, definition, slugs, single)
