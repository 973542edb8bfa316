"""Exhibit builders for the industry initiation: chip efficiency, cost build-up, comparisons, grids.

Every plotted or tabled number comes from the Dataset (computed columns where the source
derived them) or, for the P/S grids, from data/market/sensitivity_grids.yaml as published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from reportgen import formatting as fmt
from reportgen.checks import Mismatch, table_mismatches
from reportgen.data.dataset import Dataset
from reportgen.data.sources import line_of, read_yaml
from reportgen.errors import ExhibitDataError
from reportgen.figures.registry import (
    P,
    TableColumn,
    TableExhibit,
    TableGroup,
    TableRow,
    exhibit,
)
from reportgen.figures.style import (
    DOMESTIC,
    FULL_WIDTH_IN,
    LABEL_BOX,
    OVERSEAS,
    house_style,
    new_figure,
)
from reportgen.models import valuation
from reportgen.models.company import value_company
from reportgen.models.pricing import within_rounding

SOURCE = "Company data, Meridian Research estimates"
LABEL_SIZE = 6.5
#: Brands shown as the overseas group in the efficiency charts; every other brand is domestic.
OVERSEAS_BRANDS = frozenset({"Nvidia"})
GROUP_COLOURS = {"Nvidia": OVERSEAS, "Domestic": DOMESTIC}
#: A marker for the base-case cell of a sensitivity grid (rows also carry a mark).
BASE_MARK = "◆"


# --- helpers -------------------------------------------------------------------------------


def _group(brand: str) -> str:
    """'Nvidia' or 'Domestic': the colour group of a chip brand."""
    return "Nvidia" if brand in OVERSEAS_BRANDS else "Domestic"


def _basis(row: Mapping[Any, Any]) -> str:
    """'FP8' when the chip has an FP8 figure (the performance used), else 'FP16'."""
    value = row.get("fp8_tflops")
    return "FP8" if value is not None and value == value else "FP16"


def _chip_mismatches(ds: Dataset) -> dict[int, list[Mismatch]]:
    """chips.csv published-vs-computed mismatches by file line."""
    path = ds.files.get("chips")
    found: dict[int, list[Mismatch]] = {}
    for m in table_mismatches(ds, ["chips"]):
        if m.path == path and m.line is not None:
            found.setdefault(m.line, []).append(m)
    return found


def _label_hbars(
    ax: Any, values: Sequence[float], ys: Sequence[float], texts: Sequence[str]
) -> None:
    """Write each horizontal bar's label just past its end."""
    for value, y, text in zip(values, ys, texts, strict=True):
        ax.annotate(
            text,
            (value, y),
            xytext=(3, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=LABEL_SIZE,
            bbox=LABEL_BOX,
            color="#333333",
        )


# --- efficiency bars -------------------------------------------------------------------

EFFICIENCY = {
    "perf_per_watt": ("Performance per watt", "TFLOPS per W"),
    "perf_per_cost": ("Performance per dollar", "TFLOPS per US$ of market price"),
}


def _efficiency_chart(ds: Dataset, column: str) -> Figure:
    """Every chip's ``column`` as sorted horizontal bars, coloured Nvidia against domestic."""
    chips = ds.table("chips")
    records = sorted(chips.to_dict("records"), key=lambda r: (-float(r[column]), int(r["_line"])))
    values = [float(r[column]) for r in records]
    ys = list(range(len(records)))[::-1]
    title, unit = EFFICIENCY[column]
    bases = {_basis(r) for r in records}
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 0.16 * len(records) + 0.9)
        ax.barh(ys, values, height=0.68, color=[GROUP_COLOURS[_group(r["brand"])] for r in records])
        texts = [
            fmt.number(v, 2) + (" (FP16)" if _basis(r) == "FP16" and len(bases) > 1 else "")
            for v, r in zip(values, records, strict=True)
        ]
        _label_hbars(ax, values, ys, texts)
        ax.set_yticks(ys, [f"{r['product']} ({r['brand']})" for r in records], fontsize=6.5)
        ax.set_ylim(-0.7, len(records) - 0.3)
        ax.set_xlim(0, max(values) * 1.25)
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        ax.set_axisbelow(True)
        basis = "FP8 where given, else FP16 (marked)" if len(bases) > 1 else bases.pop()
        ax.set_xlabel(f"{title}: {unit}\nPerformance basis: {basis}")  # two lines fit the width
        present = sorted({_group(r["brand"]) for r in records}, key=lambda g: g != "Nvidia")
        ax.legend(
            handles=[Patch(color=GROUP_COLOURS[g], label=g) for g in present], loc="lower right"
        )
    return fig


@exhibit(
    "perf-per-watt",
    kind="chart",
    title="Performance per watt: Nvidia and domestic AI accelerators",
    source=SOURCE,
    tables=("chips",),
)
def perf_per_watt(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Computed performance per watt of every chip, sorted, Nvidia against domestic."""
    return _efficiency_chart(ds, "perf_per_watt")


@exhibit(
    "perf-per-dollar",
    kind="chart",
    title="Performance per dollar: Nvidia and domestic AI accelerators",
    source=SOURCE,
    tables=("chips",),
)
def perf_per_dollar(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Computed performance per US$ of market price of every chip, sorted, by brand group."""
    return _efficiency_chart(ds, "perf_per_cost")


# --- the cost build-up table --------------------------------------------------------------

COST_COLUMNS = (
    ("die_cost_usd", TableColumn("Die", "US$"), 0),
    ("memory_cost_usd", TableColumn("Memory", "US$"), 0),
    ("packaging_test_cost_usd", TableColumn("Packaging and test", "US$"), 0),
    ("manufacturing_cost_usd", TableColumn("Manufacturing cost", "US$"), 0),
    ("estimated_cost_usd", TableColumn("Estimated chip cost", "US$"), 0),
    ("market_price_usd", TableColumn("Market price", "US$"), 0),
    ("perf_per_cost", TableColumn("Perf/$", "TFLOPS/US$"), 2),
    ("perf_per_watt", TableColumn("Perf/W", "TFLOPS/W"), 2),
)
#: Short names of the published columns, for the notes.
PUBLISHED_NAMES = {
    "gross_dies_per_wafer_published": "gross dies",
    "die_cost_usd_published": "die cost",
    "memory_cost_usd_published": "memory cost",
    "packaging_test_cost_usd_published": "packaging and test",
    "manufacturing_cost_usd_published": "manufacturing cost",
    "other_overheads_usd_published": "other overheads",
    "estimated_cost_usd_published": "estimated cost",
    "market_price_usd_published": "market price",
    "original_price_usd_published": "original price",
    "perf_per_cost_published": "perf/$",
    "perf_per_watt_published": "perf/W",
}


def _describe(m: Mismatch) -> str:
    """'gross dies published 142, computed 111' for one chip mismatch."""
    name = PUBLISHED_NAMES.get(m.column, m.column)
    dp = 2 if m.column.startswith("perf_") else 0
    return f"{name} published {fmt.number(m.published, dp)}, computed {fmt.number(m.computed, dp)}"


@exhibit(
    "chip-cost-table",
    kind="table",
    title="AI accelerator cost build-up, cost efficiency and power efficiency",
    source=SOURCE,
    tables=("chips",),
)
def chip_cost_table(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """Every chip grouped by brand with its computed cost build-up and efficiency."""
    mismatches = _chip_mismatches(ds)
    columns = (
        TableColumn("Product", "", "left"),
        TableColumn("Type", "", "left"),
        TableColumn("Performance", "TFLOPS"),
        *(col for _, col, _ in COST_COLUMNS),
    )
    groups: list[TableGroup] = []
    differs: list[str] = []
    # In file order, each number carrying its cell or formula (Dataset.records).
    for brand, records in groupby(ds.records("chips"), key=lambda r: r["brand"]):
        rows: list[TableRow] = []
        for rec in records:
            cells = [str(rec["product"]), str(rec["type"])]
            cells.append(f"{fmt.number(rec['performance_tflops'], 0)} {_basis(rec)}")
            cells += [fmt.number(rec[key], dp) for key, _, dp in COST_COLUMNS]
            marks: set[str] = set()
            found = mismatches.get(int(rec["_line"]), [])
            if found:
                marks.add("differs")
                what = "; ".join(_describe(m) for m in found)
                differs.append(f"{rec['product']} ({what})")
            rows.append(TableRow(tuple(cells), frozenset(marks)))
        groups.append(TableGroup(str(brand), tuple(rows), level=1))
    notes = [
        "All cost and efficiency columns are recomputed from the stated inputs (die size, "
        "yield, wafer, memory and packaging prices, gross margin, market price); "
        "performance is FP8 where given, else FP16."
    ]
    if differs:
        notes.append("Published value differs from computed: " + "; ".join(differs) + ".")
    return TableExhibit(
        columns=columns,
        groups=tuple(groups),
        notes=tuple(notes),
        header_groups=(("", 3), ("US$ per chip", 6), ("Efficiency", 2)),
    )


# --- comparison tables -----------------------------------------------------------------------

COMPARISON_ROWS = (
    ("ticker", "Ticker"),
    ("products", "Products"),
    ("architecture", "GPGPU or ASIC"),
    ("process_node_latest", "Process node, latest products"),
    ("secured_csp_orders", "Secured orders from major CSPs"),
    ("sovereign_fund_major_shareholder", "Sovereign fund as major shareholder"),
    ("revenue_2025_rmb_mn", "2025 revenue (Rmb mn)"),
    ("profitable", "Profitable"),
)


def _cell(value: Any, dp: int = 0) -> str:
    """A comparison cell: numbers with separators, yes/no capitalised, text as is."""
    if isinstance(value, float):
        return fmt.number(value, dp)
    if value in ("yes", "no"):
        return str(value).capitalize()
    return fmt.DASH if value is None else str(value)


def _revenue_checks(ds: Dataset, frame: pd.DataFrame) -> tuple[set[str], list[str]]:
    """Companies whose printed 2025 revenue disagrees with their own data, and the notes."""
    by_name = {c.short_name: c for c in ds.companies.values()}
    differs: set[str] = set()
    agree: list[str] = []
    notes: list[str] = []
    for rec in frame.to_dict("records"):
        company = by_name.get(str(rec["company"]))
        if company is None:
            continue
        revenue = value_company(company).revenue.get("2025")
        if revenue is None:
            continue
        printed = float(rec["revenue_2025_rmb_mn"])
        if within_rounding(printed, revenue, 0):
            agree.append(str(rec["company"]))
        else:
            differs.add(str(rec["company"]))
            notes.append(
                f"{rec['company']}: 2025 revenue printed {fmt.number(printed, 0)}, "
                f"the company's own statements give {fmt.number(revenue, 1)}."
            )
    if agree:
        notes.insert(0, f"2025 revenue agrees with the company data for {_join(agree)}.")
    return differs, notes


@exhibit(
    "accelerator-comparison",
    kind="table",
    title="Comparison among Cambricon, MetaX and Iluvatar",
    source=SOURCE,
    tables=("accelerator_comparison",),
)
def accelerator_comparison(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """Attributes as rows, the compared companies as columns, in the file's order."""
    frame = ds.table("accelerator_comparison").sort_values("_line", kind="stable")
    differs, notes = _revenue_checks(ds, frame)
    records = frame.to_dict("records")
    columns = (
        TableColumn("", "", "left"),
        *(TableColumn(str(r["company"]), "", "left") for r in records),
    )
    rows = []
    for key, label in COMPARISON_ROWS:
        marks = frozenset({"differs"}) if key.startswith("revenue") and differs else frozenset()
        rows.append(TableRow((label, *(_cell(r[key]) for r in records)), marks))
    notes.append(
        "Ticks are shown as Yes and crosses as No; the chip-supplier and "
        "per-token cost rows (logos and a graphic) are left out."
    )
    return TableExhibit(columns=columns, groups=(TableGroup("", tuple(rows)),), notes=tuple(notes))


ASIC_ROWS = (
    ("type", "Type"),
    ("general_computing", "General computing capability"),
    ("ai_matrix_computation", "AI matrix computation"),
    ("ecosystem", "Ecosystem"),
    ("main_use_case", "Main use case"),
)


@exhibit(
    "gpgpu-vs-asic",
    kind="table",
    title="GPGPU against ASIC: what is the difference?",
    source=SOURCE,
    tables=("gpgpu_vs_asic", "chips"),
)
def gpgpu_vs_asic(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """The compared chips as columns, their attributes as rows; type checked against chips."""
    frame = ds.table("gpgpu_vs_asic").sort_values("_line", kind="stable")
    chips = ds.table("chips")
    records = frame.to_dict("records")
    notes: list[str] = []
    for rec in records:
        match = chips[
            (chips["brand"] == rec["brand"])
            & (chips["product"].str.rstrip("*") == str(rec["product"]).rstrip("*"))
        ]
        if not match.empty and match["type"].iloc[0] != rec["type"]:
            notes.append(
                f"The {rec['brand']} {rec['product']} is typed {rec['type']} here but "
                f"{match['type'].iloc[0]} in the cost comparison."
            )
    columns = (
        TableColumn("", "", "left"),
        *(TableColumn(f"{r['brand']} {r['product']}", "", "left") for r in records),
    )
    rows = tuple(
        TableRow((label, *(_cell(r[key]) for r in records)), frozenset())
        for key, label in ASIC_ROWS
    )
    return TableExhibit(columns=columns, groups=(TableGroup("", rows),), notes=tuple(notes))


# --- Exhibits 44-46 and 49-51: P/S sensitivity grids ----------------------------------------

GRIDS_FILE = "market/sensitivity_grids.yaml"
#: grid parameter -> (published key, unit, decimals, title, position in the unit's exhibits)
GRIDS: dict[str, tuple[str, str, int, str, int]] = {
    "market_cap": ("market_cap_usd_mn_published", "US$ mn", 0, "{name} market cap", 0),
    "to_parent": ("to_parent_usd_mn_published", "US$ mn", 0, "{name} value to {parent}", 1),
    "per_parent_share": (
        "per_parent_share_usd_published",
        "US$",
        1,
        "{name} value per {parent} share",
        2,
    ),
}
#: Inputs each grid's arithmetic needs, and how to name them when the source leaves them out.
GRID_INPUTS = {
    "market_cap": ("rmb_per_usd",),
    "to_parent": ("rmb_per_usd", "stake_pct"),
    "per_parent_share": ("rmb_per_usd", "stake_pct", "parent_shares_mn"),
}
INPUT_NAMES = {
    "rmb_per_usd": "the Rmb/US$ rate",
    "stake_pct": "the stake in {name}",
    "parent_shares_mn": "the share count of {parent}",
}


def _join(items: Sequence[str], word: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (or another joining word)."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _choice(params: Mapping[str, Any], key: str, choices: Sequence[str]) -> str:
    """A required parameter that must be one of ``choices``."""
    if key not in params:
        raise ExhibitDataError(f"missing parameter '{key}' (one of {', '.join(choices)})")
    value = params[key]
    if value not in choices:
        raise ExhibitDataError(f"unknown {key} {value!r}; expected one of {', '.join(choices)}")
    return str(value)


def _load_grids(ds: Dataset) -> tuple[Mapping[str, Any], str]:
    """The parsed sensitivity-grid file and its path as shown in messages."""
    shown = f"{ds.root.name}/{GRIDS_FILE}" if ds.root.name == "data" else str(ds.root / GRIDS_FILE)
    path = ds.root / GRIDS_FILE
    if not path.is_file():
        raise ExhibitDataError(f"{shown}: file not found (the P/S sensitivity grids)")
    doc = read_yaml(path, shown)
    if not isinstance(doc, dict):
        raise ExhibitDataError("expected a mapping of units at the top level", shown, 1)
    return doc, shown


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_number(v) for v in value)


def _checked_unit(doc: Mapping[str, Any], unit: str, key: str, shown: str) -> Mapping[str, Any]:
    """The unit's entry, with every field the grid reads checked: the file is not validated
    on load, so a malformed entry is the analyst's to fix (located at the unit's line)."""
    spec = doc[unit]

    def wrong(what: str) -> ExhibitDataError:
        return ExhibitDataError(f"unit '{unit}': {what}", shown, line_of(doc, unit))

    if not isinstance(spec, Mapping):
        raise wrong("expected a mapping of the unit's grid settings")
    for name in ("name", "parent", "revenue_label"):
        if not isinstance(spec.get(name), str):
            raise wrong(f"'{name}' must be text")
    for name in ("ps_x", "revenue_rmb_mn"):
        if not _numbers(spec.get(name)):
            raise wrong(f"'{name}' must be a list of numbers")
    for name in (key, "market_cap_usd_mn_published", "to_parent_usd_mn_published"):
        rows = spec.get(name)
        if (name == key or rows is not None) and not (
            isinstance(rows, list) and all(_numbers(r) for r in rows)
        ):
            raise wrong(f"'{name}' must be a list of rows of numbers")
    base = spec.get("base_case")
    if (
        not isinstance(base, Mapping)
        or base.get("ps_x") not in spec["ps_x"]
        or base.get("revenue_rmb_mn") not in spec["revenue_rmb_mn"]
    ):
        raise wrong("'base_case' must give one of the ps_x and one of the revenue_rmb_mn values")
    for name in ("stake_pct", "holdco_discount_pct"):
        if spec.get(name) is not None and not _is_number(spec[name]):
            raise wrong(f"'{name}' must be a number or null")
    if not isinstance(spec.get("exhibits") or [], list):
        raise wrong("'exhibits' must be a list of exhibit numbers")
    return spec


def _implied_factor(spec: Mapping[str, Any]) -> float | None:
    """Value-to-parent / market cap implied by the published cells (no exchange rate needed)."""
    caps = [float(x) for row in spec.get("market_cap_usd_mn_published") or [] for x in row]
    parent = [float(x) for row in spec.get("to_parent_usd_mn_published") or [] for x in row]
    if not caps or len(caps) != len(parent):
        return None
    low, high = valuation.feasible_scale(caps, parent, 0)
    return (low + high) / 2.0 if low <= high else None


@exhibit(
    "sensitivity-grid",
    kind="table",
    title="P/S sensitivity of an unlisted AI chip unit, as published",
    source=SOURCE,
    tables=("sensitivity_grids",),
    params={
        "unit": P.text("a unit in market/sensitivity_grids.yaml", required=True),
        "grid": P.choice(*GRIDS, required=True),
    },
)
def sensitivity_grid(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """A published P/S x revenue grid (rows P/S, columns revenue), base case marked."""
    doc, shown = _load_grids(ds)
    unit = _choice(params, "unit", sorted(doc))
    grid = _choice(params, "grid", list(GRIDS))
    key, money, dp, title, position = GRIDS[grid]
    spec = _checked_unit(doc, unit, key, shown)
    ps = [float(x) for x in spec["ps_x"]]
    revenue = [float(x) for x in spec["revenue_rmb_mn"]]
    cells = spec[key]
    if len(cells) != len(ps) or any(len(row) != len(revenue) for row in cells):
        raise ExhibitDataError(
            f"unit '{unit}': '{key}' must have {len(ps)} rows of {len(revenue)} values "
            "(one per P/S multiple and revenue)",
            shown,
            line_of(doc, unit),
        )
    base = spec["base_case"]
    base_i, base_j = ps.index(float(base["ps_x"])), revenue.index(float(base["revenue_rmb_mn"]))
    columns = (
        TableColumn("P/S (x)", f"cells: {money}", "left"),
        *(TableColumn(fmt.number(r, 0)) for r in revenue),
    )
    rows = []
    for i, (multiple, values) in enumerate(zip(ps, cells, strict=True)):
        texts = [fmt.number(float(v), dp) for v in values]
        marks: set[str] = set()
        if i == base_i:
            texts[base_j] = f"{BASE_MARK} {texts[base_j]}"
            marks |= {"base-case", f"base-case-col-{base_j + 2}"}
        rows.append(TableRow((fmt.multiple(multiple, 0), *texts), frozenset(marks)))
    label = title.format(name=spec["name"], parent=spec["parent"])
    missing = [
        INPUT_NAMES[key].format(name=spec["name"], parent=spec["parent"])
        for key in GRID_INPUTS[grid]
        if key in spec and spec[key] is None
    ]
    notes = [
        f"{label}, {money}: values as published, not recomputed"
        + (
            f"; {_join(missing)} {'is' if len(missing) == 1 else 'are'} not stated."
            if missing
            else "."
        ),
        f"{BASE_MARK} Base case: {fmt.multiple(ps[base_i], 0)} P/S on revenue of "
        f"Rmb{fmt.number(revenue[base_j], 0)}mn.",
    ]
    stake, discount = spec.get("stake_pct"), spec.get("holdco_discount_pct")
    implied = _implied_factor(spec)
    if grid == "to_parent" and stake is not None and discount is not None and implied is not None:
        stated = valuation.holdco_factor(float(stake) / 100.0, float(discount) / 100.0)
        if abs(stated - implied) > 5e-4:
            notes.append(
                f"The published cells imply {fmt.number(implied, 4)} of market cap for the "
                f"parent, against the stated {fmt.pct(float(stake), 0)} stake less a "
                f"{fmt.pct(float(discount), 0)} holding-company discount "
                f"({fmt.number(stated, 4)})."
            )
    return TableExhibit(
        columns=columns,
        groups=(TableGroup("", tuple(rows)),),
        notes=tuple(notes),
        header_groups=(("", 1), (str(spec["revenue_label"]), len(revenue))),
    )


@exhibit(
    "unit-products",
    kind="table",
    title="Key products of an unlisted chip unit",
    source="Company data, Meridian Research",
    tables=("unit_products",),
    params={"unit": P.text("a unit in market/unit_products.csv")},
)
def unit_products(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """A chip unit's key products with their Chinese names (e.g. T-Head's Zhenwu 真武)."""
    frame = ds.table("unit_products")
    unit = params.get("unit", "T-Head")
    rows = frame[frame["unit"] == unit]
    if rows.empty:
        known = ", ".join(sorted(set(frame["unit"])))
        raise ExhibitDataError(
            f"no products for unit '{unit}' in market/unit_products.csv; known: {known}"
        )
    columns = (
        TableColumn("Product", align="left"),
        TableColumn("Category / use", align="left"),
        TableColumn("Compute", align="left"),
        TableColumn("Memory / storage", align="left"),
        TableColumn("I/O / interconnect", align="left"),
        TableColumn("Other key specs", align="left"),
    )
    body = tuple(
        TableRow(
            (
                f"{r['product_zh']} ({r['product']})",
                r["category"],
                r["compute"] or fmt.DASH,
                r["memory_storage"] or fmt.DASH,
                r["io_interconnect"] or fmt.DASH,
                r["other_key_specs"] or fmt.DASH,
            )
        )
        for r in rows.to_dict("records")
    )
    return TableExhibit(columns=columns, groups=(TableGroup("", body),))
