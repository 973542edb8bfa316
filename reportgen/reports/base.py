"""Report types: each declares its name and template, and builds a plain template context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from reportgen import plugins
from reportgen.data.dataset import Dataset
from reportgen.errors import Problem
from reportgen.models import pricing
from reportgen.project import Project
from reportgen.prose_api import prose_api
from reportgen.publish.model import CoveredCompany
from reportgen.reports.definition import ReportDefinition


@dataclass(frozen=True)
class RenderedExhibit:
    """An exhibit ready for a template: number, caption, and an SVG or a table."""

    id: str
    number: int
    kind: str
    title: str
    source: str
    svg: bytes | None = None
    table: Any = None
    #: What the chart check found as the chart was drawn (figures.chartcheck.ChartProblem).
    problems: tuple[Any, ...] = ()
    #: A table's workbook, relative to the report's HTML ("" for a chart): the page links it.
    download: str = ""


@prose_api("growth", "ratio", "cagr")
class Calc:
    """Arithmetic prose may need on stated facts, delegated to the pure functions in models/."""

    def growth(self, new: float, old: float) -> float:
        """``new`` over ``old``, minus one (a fraction)."""
        return pricing.growth(new, old)

    def ratio(self, numerator: float, denominator: float) -> float:
        """How many times ``numerator`` is ``denominator``."""
        return pricing.price_ratio(numerator, denominator)

    def cagr(self, start: float, end: float, years: float) -> float:
        """Compound annual growth from ``start`` to ``end`` over ``years`` (a fraction)."""
        return pricing.cagr(start, end, years)


@prose_api()
@dataclass(frozen=True)
class ReportInfo:
    """What prose may read about its own report (``report.title``): values, never its folder."""

    slug: str
    type: str
    title: str
    subtitle: str
    date: dt.date
    sector: str
    rating: str
    rating_action: str
    keywords: tuple[str, ...]
    company: str | None
    companies: tuple[str, ...]

    @classmethod
    def of(cls, definition: ReportDefinition) -> ReportInfo:
        """The plain values of a parsed report definition."""
        return cls(
            slug=definition.slug,
            type=definition.type,
            title=definition.title,
            subtitle=definition.subtitle,
            date=definition.date,
            sector=definition.sector,
            rating=definition.rating,
            rating_action=definition.rating_action,
            keywords=tuple(definition.keywords),
            company=definition.company,
            companies=tuple(definition.companies),
        )


def read_only(value: Any) -> Any:
    """YAML values as prose holds them: mappings read-only, lists as tuples, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: read_only(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(read_only(v) for v in value)
    return value


class ReportType:
    """Base class: ``name`` is what report.yaml's ``type`` says; ``template`` renders it."""

    name: ClassVar[str]
    template: ClassVar[str]
    description: ClassVar[str] = ""

    def prose_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Objects prose may cite values from (queries over the data, stated facts).

        Only plain values and objects of classes registered with ``reportgen.prose_api``:
        the prose sandbox refuses anything else.
        """
        return {
            "facts": read_only(definition.facts),
            "report": ReportInfo.of(definition),
            "calc": Calc(),
        }

    def page_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Extra values the type's template needs beyond prose and exhibits."""
        return {}

    def validate(self, ds: Dataset, definition: ReportDefinition) -> list[Problem]:
        """Problems in the definition that need the data to see (e.g. an unknown company)."""
        return []

    def history_companies(self, definition: ReportDefinition) -> tuple[str, ...]:
        """Companies whose rating and price-target history the disclosures chart (the ones the
        report rates; none by default)."""
        return ()

    def release_facts(
        self, ds: Dataset, definition: ReportDefinition
    ) -> tuple[CoveredCompany, ...]:
        """The covered companies a release of this report records (publish/model.py
        CoveredCompany: rating, price, target, key estimates); none by default."""
        return ()

    def key_figures(self, ds: Dataset, definition: ReportDefinition) -> list[str]:
        """Text the finished PDF must contain (checked by extracting it back): the rating."""
        return [definition.rating] if definition.rating else []

    def warnings(self, ds: Dataset, definition: ReportDefinition) -> list[Problem]:
        """Things worth a look that do not stop a build (errors under --strict)."""
        return []


#: Every report type in use: reportgen's own, then the installed plug-ins and those of the
#: project activated last (load_report_types(project)); see plugins.Layered.
REPORT_TYPES: plugins.Layered[type[ReportType]] = plugins.Layered()


def report_type(cls: type[ReportType]) -> type[ReportType]:
    """Register a report type by its ``name``; a duplicate name is a programming error (a
    plug-in's duplicate, a located error naming both)."""
    if plugins.collect("report type", cls.name, cls, cls.__module__):
        return cls
    if cls.name in REPORT_TYPES.own:
        raise ValueError(f"report type {cls.name!r} registered twice")
    REPORT_TYPES.own[cls.name] = cls
    return cls


def load_report_types(project: Project | None = None) -> Mapping[str, type[ReportType]]:
    """Import every report-type module so each registers itself, and the installed plug-ins;
    with ``project``, make its plug-ins (and no other project's) the ones shown."""
    from reportgen.reports import initiation, sector_note  # noqa: F401

    if project is not None:
        plugins.activate(project)
    else:
        plugins.installed()
    return REPORT_TYPES


Formatter = Callable[..., str]
