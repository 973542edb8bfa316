"""Exhibit modules: optional bundles of built-in tables and the exhibits that read them.

A project enables a module with ``modules: [name]`` in reportgen.yaml; only then are the
module's tables expected under data/ (a missing file is an error) and its exhibits usable in
report.yaml. An exhibit belongs to the module whose data it reads: the names it gives in
``@exhibit(tables=...)`` (figures/registry.py), so no second list of exhibits is kept here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Module:
    """A module: its name, what it covers, the built-in schemas it expects (data/schemas.py)
    and the other data names its exhibits read (catalogues, YAML files)."""

    name: str
    description: str
    #: Built-in table schemas (data/schemas.py SCHEMAS names) loaded when the module is on.
    tables: tuple[str, ...]
    #: Further names exhibits give in ``tables=``: derived tables and YAML files of the module.
    reads: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        """Every data name that marks an exhibit as this module's."""
        return frozenset((*self.tables, *self.reads))


MODULES: dict[str, Module] = {}


def declare_module(module: Module) -> Module:
    """Register a module by name; a duplicate name is a programming error."""
    if module.name in MODULES:
        raise ValueError(f"module {module.name!r} declared twice")
    MODULES[module.name] = module
    return module


AI_SECTOR = declare_module(
    Module(
        name="ai_sector",
        description=(
            "LLM API pricing, Day-0 adaptation, China AI accelerator shipments, GPGPU market, "
            "chip cost build-up and accelerator comparisons (the sample's sector note and "
            "industry initiation exhibits)"
        ),
        tables=(
            "llm_pricing",
            "llm_promotions",
            "llm_price_ranges_published",
            "day0_matrix",
            "china_ai_shipments",
            "gpgpu_market",
            "chips",
            "accelerator_comparison",
            "gpgpu_vs_asic",
            "unit_products",
        ),
        # day0: the long Day-0 table (market/day0_matrix.csv with market/day0.yaml);
        # sensitivity_grids: market/sensitivity_grids.yaml, read by its exhibit.
        reads=("day0", "sensitivity_grids"),
    )
)


def unknown_modules(names: Iterable[str]) -> list[str]:
    """The names among ``names`` that are no registered module."""
    return [n for n in names if n not in MODULES]


def module_tables(enabled: Collection[str] | None) -> frozenset[str]:
    """Built-in tables expected with these modules on (``None``: every module, as a folder
    without reportgen.yaml has always been read)."""
    chosen = MODULES.values() if enabled is None else (MODULES[n] for n in enabled)
    return frozenset(t for m in chosen for t in m.tables)


def module_of(tables: Iterable[str]) -> Module | None:
    """The module an exhibit reading ``tables`` belongs to (None: reportgen's own, e.g. the
    company exhibits, or the project's)."""
    wanted = set(tables)
    for module in MODULES.values():
        if wanted & module.names:
            return module
    return None


def disabled_exhibits(
    exhibits: Mapping[str, Iterable[str]], enabled: Collection[str] | None
) -> dict[str, str]:
    """{exhibit id: module name} for each exhibit of a module that is not enabled
    (``exhibits`` maps an id to the tables it reads; ``enabled`` None: all modules)."""
    if enabled is None:
        return {}
    out: dict[str, str] = {}
    for ex_id, tables in exhibits.items():
        module = module_of(tables)
        if module is not None and module.name not in enabled:
            out[ex_id] = module.name
    return out
