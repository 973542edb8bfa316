"""Report types: each declares its name and template, and builds a plain template context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from reportgen.data.dataset import Dataset
from reportgen.errors import Problem
from reportgen.models import pricing
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


class Calc:
    """Arithmetic prose may need on stated facts, delegated to the pure functions in models/."""

    growth = staticmethod(pricing.growth)
    ratio = staticmethod(pricing.price_ratio)
    cagr = staticmethod(pricing.cagr)


class ReportType:
    """Base class: ``name`` is what report.yaml's ``type`` says; ``template`` renders it."""

    name: ClassVar[str]
    template: ClassVar[str]
    description: ClassVar[str] = ""

    def prose_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Objects prose may cite values from (queries over the data, stated facts)."""
        return {"facts": definition.facts, "report": definition, "calc": Calc()}

    def page_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Extra values the type's template needs beyond prose and exhibits."""
        return {}

    def validate(self, ds: Dataset, definition: ReportDefinition) -> list[Problem]:
        """Problems in the definition that need the data to see (e.g. an unknown company)."""
        return []

    def key_figures(self, ds: Dataset, definition: ReportDefinition) -> list[str]:
        """Text the finished PDF must contain (checked by extracting it back): the rating."""
        return [definition.rating] if definition.rating else []

    def warnings(self, ds: Dataset, definition: ReportDefinition) -> list[Problem]:
        """Things worth a look that do not stop a build (errors under --strict)."""
        return []


REPORT_TYPES: dict[str, type[ReportType]] = {}


def report_type(cls: type[ReportType]) -> type[ReportType]:
    """Register a report type by its ``name``; a duplicate name is a programming error."""
    if cls.name in REPORT_TYPES:
        raise ValueError(f"report type {cls.name!r} registered twice")
    REPORT_TYPES[cls.name] = cls
    return cls


def load_report_types() -> Mapping[str, type[ReportType]]:
    """Import every report-type module so each registers itself."""
    from reportgen.reports import initiation, sector_note  # noqa: F401

    return REPORT_TYPES


Formatter = Callable[..., str]
