"""The exhibit registry: builders register by id with a decorator that refuses duplicates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from matplotlib.figure import Figure

from reportgen.data.dataset import Dataset

Kind = Literal["chart", "table"]


@dataclass(frozen=True)
class TableColumn:
    """A column of a table exhibit: header label, unit line, alignment."""

    label: str
    unit: str = ""
    align: Literal["left", "right", "center"] = "right"


@dataclass(frozen=True)
class TableRow:
    """One body row: formatted cells plus marks the template styles (flagship, derived...)."""

    cells: tuple[str, ...]
    marks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TableGroup:
    """Rows under one group heading (e.g. a region, then a provider)."""

    label: str
    rows: tuple[TableRow, ...]
    level: int = 1


@dataclass(frozen=True)
class TableExhibit:
    """A table exhibit as plain formatted data; templates lay it out (headers repeat)."""

    columns: tuple[TableColumn, ...]
    groups: tuple[TableGroup, ...]
    notes: tuple[str, ...] = ()
    header_groups: tuple[tuple[str, int], ...] = ()  # optional spanning header: (label, span)


Built = Figure | TableExhibit
Builder = Callable[[Dataset, Mapping[str, Any]], Built]


@dataclass(frozen=True)
class ExhibitSpec:
    """A registered exhibit: id, kind, default title and source line, tables it reads."""

    id: str
    kind: Kind
    title: str
    source: str
    tables: tuple[str, ...]
    build: Builder = field(compare=False)


EXHIBITS: dict[str, ExhibitSpec] = {}


def exhibit(
    id: str, *, kind: Kind, title: str, source: str, tables: tuple[str, ...]
) -> Callable[[Builder], Builder]:
    """Register ``fn`` as the builder of exhibit ``id``; a second builder for an id is an error."""

    def register(fn: Builder) -> Builder:
        if id in EXHIBITS:
            raise ValueError(f"exhibit {id!r} registered twice")
        EXHIBITS[id] = ExhibitSpec(id, kind, title, source, tables, fn)
        return fn

    return register


def get_exhibit(id: str) -> ExhibitSpec:
    """The registered exhibit ``id`` (the builder modules are imported on first use)."""
    load_builders()
    return EXHIBITS[id]


def load_builders() -> None:
    """Import every builder module so its exhibits register themselves."""
    # The same modules as plan.BUILDER_MODULES (which hashes each for its own exhibits).
    from reportgen.figures import (  # noqa: F401
        company_charts,
        company_tables,
        industry,
        sector_day0,
        sector_market,
        sector_pricing,
    )
