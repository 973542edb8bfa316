"""Sector-note LLM API pricing exhibits: subject vs peers, price ranges, matrix, ratios, ranking."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from itertools import groupby
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from reportgen import formatting as fmt
from reportgen.checks import table_mismatches
from reportgen.data.dataset import Dataset
from reportgen.errors import ExhibitDataError
from reportgen.figures.registry import (
    P,
    TableColumn,
    TableExhibit,
    TableGroup,
    TableRow,
    exhibit,
)
from reportgen.figures.sector_style import SOURCE, bare_x, label_hbars, panels
from reportgen.figures.style import (
    DOMESTIC,
    FULL_WIDTH_IN,
    GOLD,
    GREY,
    LABEL_BOX,
    OVERSEAS,
    house_style,
    new_figure,
)
from reportgen.models import pricing

REGION_COLOURS = {"China": DOMESTIC, "Overseas": OVERSEAS}


# --- helpers -------------------------------------------------------------------------------


def _names(params: Mapping[str, Any], key: str) -> list[str]:
    """A required list-of-model-names parameter."""
    if key not in params:
        raise ExhibitDataError(f"missing parameter '{key}' (a list of model names)")
    value = params[key]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ExhibitDataError(f"parameter '{key}' must be a list of model names, got {value!r}")
    return list(value)


def _name(params: Mapping[str, Any], key: str) -> str:
    """A required model-name parameter."""
    if key not in params:
        raise ExhibitDataError(f"missing parameter '{key}' (a model name)")
    if not isinstance(params[key], str):
        raise ExhibitDataError(f"parameter '{key}' must be a model name, got {params[key]!r}")
    return params[key]


def _model_row(ds: Dataset, prices: pd.DataFrame, name: str, region: str | None = None) -> Any:
    """The one llm_pricing row named ``name`` (in ``region`` if given); ExhibitDataError
    otherwise."""
    where = ds.files.get("llm_pricing", "llm_pricing")
    hits = prices[prices["model"] == name]
    if region is not None:
        hits = hits[hits["region"] == region]
    if hits.empty:
        scope = f" among the {region} rows" if region else ""
        raise ExhibitDataError(f"unknown model '{name}'{scope}: not a model in {where}")
    if len(hits) > 1:
        rows = ", ".join(str(r) for r in hits["row"])
        raise ExhibitDataError(f"ambiguous model '{name}': rows {rows} of {where} share the name")
    return hits.iloc[0]


def _colour(region: str) -> str:
    return REGION_COLOURS.get(region, GREY)


def _wrap(text: str, width: int = 24) -> str:
    return textwrap.fill(text, width)


def _plain() -> FuncFormatter:
    """Log-axis tick labels as 0.1, 1, 10 rather than powers of ten."""
    return FuncFormatter(lambda v, _: f"{v:g}")


def _pricing_mismatches(ds: Dataset) -> dict[tuple[int, str], Any]:
    """llm_pricing mismatches keyed by (file line, published column)."""
    path = ds.files.get("llm_pricing")
    return {
        (m.line, m.column): m
        for m in table_mismatches(ds, ["llm_pricing"])
        if m.path == path and m.line is not None
    }


# --- subject against overseas flagships ---------------------------------------------------

PRICE_METRICS = (
    ("input_usd", "Input"),
    ("output_usd", "Output"),
    ("blended_3_1_usd", "Blended 3:1"),
)


@exhibit(
    "v4-vs-overseas-flagships",
    kind="chart",
    # Generic: a report names its subject in its own title: (report.yaml).
    title="A model's list prices against overseas flagship models",
    source=SOURCE,
    tables=("llm_pricing",),
    params={
        "subject": P.text("a model name in market/llm_pricing.csv", required=True),
        "peers": P.texts("a list of model names in market/llm_pricing.csv", required=True),
    },
)
def v4_vs_overseas_flagships(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Input, output and blended 3:1 prices of a subject model and its peers, one panel each."""
    prices = ds.table("llm_pricing")
    names = [_name(params, "subject"), *_names(params, "peers")]
    rows = [_model_row(ds, prices, n) for n in names]
    ys = list(range(len(rows)))[::-1]
    with house_style():
        fig, axes = panels(1, len(PRICE_METRICS), 0.45 * len(rows) + 0.9, sharey=True)
        for ax, (column, label) in zip(axes, PRICE_METRICS, strict=True):
            values = [float(r[column]) for r in rows]
            ax.barh(ys, values, height=0.62, color=[_colour(r["region"]) for r in rows])
            texts = [fmt.number(values[0], 2)] + [
                f"{fmt.number(v, 2)} ({fmt.multiple(v / values[0], 1)})"
                if values[0] > 0
                else fmt.number(v, 2)
                for v in values[1:]
            ]
            label_hbars(ax, values, ys, texts, ["bold"] + ["normal"] * (len(values) - 1))
            ax.set_xlim(0, max(values) * 2.2)  # room for the longest label inside
            ax.set_title(label, loc="left", fontweight="bold")
            bare_x(ax)
        axes[0].set_yticks(ys, [_wrap(str(r["model"]), 22) for r in rows])
        axes[0].get_yticklabels()[0].set_fontweight("bold")
        fig.supxlabel(
            f"US$ per 1M tokens; bracket: multiple of {names[0]}", fontsize=7, color="#555555"
        )
    return fig


# --- flagship price ranges ------------------------------------------------------------------


@exhibit(
    "price-ranges",
    kind="chart",
    title="Flagship API price ranges, China and overseas, with promotional rates",
    source=SOURCE,
    tables=("llm_pricing", "llm_promotions"),
    params={"promo_model": P.text("a model name in market/llm_promotions.csv")},
)
def price_ranges(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Min-max of flagship input and output prices per region, promotional rates as points."""
    prices = ds.table("llm_pricing")
    flagships = prices[prices["flagship"]]
    promos = ds.table("llm_promotions")
    if params.get("promo_model") is not None:
        wanted = _name(params, "promo_model")
        promos = promos[promos["model"] == wanted]
        if promos.empty:
            raise ExhibitDataError(
                f"unknown promo_model '{wanted}': not in {ds.files['llm_promotions']}"
            )
    regions = list(pd.unique(flagships["region"]))
    low = min(float(flagships[c].min()) for c in ("input_usd", "output_usd"))
    high = max(float(flagships[c].max()) for c in ("input_usd", "output_usd"))
    with house_style():
        fig, axes = panels(2, 1, 3.6, sharex=True)
        for ax, (column, label) in zip(axes, PRICE_METRICS[:2], strict=True):
            ys = list(range(len(regions)))[::-1]
            for y, region in zip(ys, regions, strict=True):
                part = flagships[flagships["region"] == region]
                lo, hi = part.loc[part[column].idxmin()], part.loc[part[column].idxmax()]
                colour = _colour(region)
                ax.plot(
                    [lo[column], hi[column]],
                    [y, y],
                    color=colour,
                    lw=5,
                    alpha=0.35,
                    solid_capstyle="butt",
                )
                ax.plot([lo[column], hi[column]], [y, y], "o", color=colour, ms=5)
                for row, side in ((lo, -1), (hi, 1)):
                    ax.annotate(
                        f"{row['model']}\n{fmt.usd(row[column])}",
                        (row[column], y),
                        xytext=(2 * side, -6),
                        va="top",
                        textcoords="offset points",
                        ha="left" if side > 0 else "right",
                        fontsize=6,
                        bbox=LABEL_BOX,
                        color="#333333",
                        linespacing=1.0,
                    )
                for _, promo in promos.iterrows():
                    base = _model_row(ds, prices, str(promo["model"]))
                    if base["region"] != region:
                        continue
                    ax.plot([promo[column]], [y], "D", color=GOLD, ms=5, mec="white", mew=0.6)
                    ax.annotate(
                        f"{promo['model']} promo {fmt.usd(promo[column])} "
                        f"({fmt.number(-promo['discount_pct'], 0)}%)",
                        (promo[column], y),
                        xytext=(0, 7),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=6,
                        bbox=LABEL_BOX,
                        color=GOLD,
                        fontweight="bold",
                    )
            ax.set_yticks(ys, regions, fontweight="bold")
            ax.set_ylim(-0.7, len(regions) - 0.3)
            ax.set_title(f"{label} price range, flagship models", loc="left", fontweight="bold")
            ax.set_xscale("log")
            ax.grid(True, axis="x", which="major")
            ax.grid(False, axis="y")
        axes[-1].set_xlim(low / 20, high * 30)  # end labels stay inside the plot
        axes[-1].xaxis.set_major_formatter(_plain())
        axes[-1].set_xlabel("US$ per 1M tokens (log scale)")
        handles = [Line2D([], [], marker="D", ls="", color=GOLD, label="Promotional rate")]
        axes[0].legend(handles=handles, loc="upper right")
    return fig


# --- the full pricing matrix ----------------------------------------------------------------

MATRIX_COLUMNS = (
    ("input_usd", TableColumn("Input", "US$/1M"), 2),
    ("cache_read_usd", TableColumn("Cache read", "US$/1M"), 2),
    ("cache_write_usd", TableColumn("Cache write", "US$/1M"), 2),
    ("storage_usd_per_1m_per_h", TableColumn("Storage", "US$/1M/h"), 2),
    ("output_usd", TableColumn("Output", "US$/1M"), 2),
    ("blended_3_1_usd", TableColumn("Blended 3:1 (computed)", "US$/1M"), 2),
)


def _describe(m: Any) -> str:
    """'blended 3:1 published 0.63, computed 0.53' for one pricing mismatch (at the table's
    precision, so each quantity prints one way throughout the report)."""
    if m.column == "io_ratio_published":
        return f"I/O ratio published {fmt.multiple(m.published, 2)}, computed " + fmt.multiple(
            m.computed, 2
        )
    if m.column == "output_usd_published":  # a corrected misprint (data/schemas.py)
        return (
            f"output price printed as {fmt.number(m.published, 2)}, a misprint: its printed "
            f"blended price and I/O ratio both need {fmt.number(m.computed, 2)}, used here"
        )
    name = "blended 3:1" if m.column == "blended_3_1_usd_published" else m.column
    return f"{name} published {fmt.number(m.published, 2)}, computed {fmt.number(m.computed, 2)}"


@exhibit(
    "pricing-matrix",
    kind="table",
    title="LLM API list prices by region and provider",
    source="Company price lists, Meridian Research",
    tables=("llm_pricing",),
)
def pricing_matrix(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """Every llm_pricing row, grouped by region then provider, in the file's order."""
    mismatches = _pricing_mismatches(ds)
    columns = (
        TableColumn("Model", "", "left"),
        *(col for _, col, _ in MATRIX_COLUMNS),
        TableColumn("I/O ratio (computed)", "x"),
        TableColumn("Context", "tokens"),
        TableColumn("Output length", "tokens"),
    )
    groups: list[TableGroup] = []
    differs: list[str] = []
    records = ds.records("llm_pricing")  # in file order, each number carrying its cell
    for region, in_region in groupby(records, key=lambda r: r["region"]):
        groups.append(TableGroup(str(region), (), level=1))
        for provider, in_provider in groupby(in_region, key=lambda r: r["provider"]):
            rows: list[TableRow] = []
            for rec in in_provider:
                cells = [str(rec["model"])]
                cells += [fmt.number(rec[key], dp) for key, _, dp in MATRIX_COLUMNS]
                cells.append(fmt.multiple(rec["io_ratio"], 1))  # as the chart and prose print it
                cells += [
                    rec[k] if isinstance(rec[k], str) and rec[k] else fmt.DASH
                    for k in ("context_length", "output_length")
                ]
                marks = {"flagship"} if rec["flagship"] else set()
                found = [mismatches[k] for k in sorted(mismatches) if k[0] == rec["_line"]]
                if found:
                    marks.add("differs")
                    what = "; ".join(_describe(m) for m in found)
                    differs.append(f"{rec['model']} ({what})")
                rows.append(TableRow(tuple(cells), frozenset(marks)))
            groups.append(TableGroup(str(provider), tuple(rows), level=2))
    notes = [
        "Blended 3:1 = (3 x input + output) / 4; I/O ratio = output / input; both "
        "recomputed from the listed prices."
    ]
    if differs:
        notes.append("Published value differs from computed: " + "; ".join(differs) + ".")
    return TableExhibit(
        columns=columns,
        groups=tuple(groups),
        notes=tuple(notes),
        header_groups=(("", 1), ("US$ per 1M tokens", 6), ("", 1), ("Tokens", 2)),
    )


# --- output-to-input ratios -----------------------------------------------------------------

SIDES = (("domestic", "China", "Domestic"), ("overseas", "Overseas", "Overseas"))


@exhibit(
    "io-ratios",
    kind="chart",
    title="Output-to-input price ratio, domestic and overseas flagships",
    source=SOURCE,
    tables=("llm_pricing",),
    params={
        "domestic": P.texts("a list of China model names in market/llm_pricing.csv", required=True),
        "overseas": P.texts(
            "a list of Overseas model names in market/llm_pricing.csv", required=True
        ),
    },
)
def io_ratios(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Each named model's output/input price ratio, by side, with each side's mean."""
    prices = ds.table("llm_pricing")
    mismatches = _pricing_mismatches(ds)
    sides = [
        (label, region, [_model_row(ds, prices, n, region) for n in _names(params, key)])
        for key, region, label in SIDES
    ]
    count = sum(len(rows) for _, _, rows in sides)
    if count == 0:
        raise ExhibitDataError("needs at least one model in 'domestic' or 'overseas'")
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 0.19 * count + 1.0)
        y, ticks, labels = 0.0, [], []
        top = max(float(r["io_ratio"]) for _, _, rows in sides for r in rows)
        for label, region, rows in sides:
            if not rows:
                continue
            rows = sorted(rows, key=lambda r: -float(r["io_ratio"]))
            ys = [y - i for i in range(len(rows))]
            values = [float(r["io_ratio"]) for r in rows]
            ax.barh(ys, values, height=0.65, color=_colour(region), label=label)
            texts = []
            for r, v in zip(rows, values, strict=True):
                wrong = mismatches.get((r["_line"], "io_ratio_published"))
                note = f" (published {fmt.multiple(wrong.published, 1)})" if wrong else ""
                texts.append(fmt.multiple(v, 1) + note)
            label_hbars(ax, values, ys, texts)
            mean = pricing.mean(values)
            ax.plot(
                [mean, mean], [ys[-1] - 0.45, ys[0] + 0.45], color=_colour(region), lw=0.9, ls="--"
            )
            ax.annotate(
                f"{label} mean {fmt.multiple(mean, 1)}",
                (mean, ys[0] + 0.45),
                xytext=(0, 1),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=6,
                bbox=LABEL_BOX,
                color=_colour(region),
                fontweight="bold",
            )
            ticks += ys
            labels += [str(r["model"]) for r in rows]
            y = ys[-1] - 1.6
        ax.set_yticks(ticks, labels)
        ax.set_xlim(0, top * 1.35)
        ax.set_ylim(y + 1.0, 1.0)
        ax.set_xlabel("Output price / input price (x)")
        ax.grid(False)
        ax.legend(loc="lower right")
    return fig


# --- flagships ranked by blended price ------------------------------------------------------


@exhibit(
    "flagship-blended-ranked",
    kind="chart",
    title="Flagship models ranked by blended 3:1 price",
    source=SOURCE,
    tables=("llm_pricing",),
    params={"highlight": P.text("a flagship model name in market/llm_pricing.csv")},
)
def flagship_blended_ranked(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Every flagship row's blended 3:1 price on one log axis, coloured by region."""
    prices = ds.table("llm_pricing")
    flagships = prices[prices["flagship"]].sort_values(["blended_3_1_usd", "row"], kind="stable")
    highlight = _name(params, "highlight") if params.get("highlight") is not None else None
    if highlight is not None:
        _model_row(ds, flagships, highlight)
    values = [float(v) for v in flagships["blended_3_1_usd"]]
    mismatches = _pricing_mismatches(ds)
    texts = []
    for line, value in zip(flagships["_line"], values, strict=True):
        wrong = mismatches.get((line, "blended_3_1_usd_published"))
        note = f" (published {fmt.number(wrong.published, 2)})" if wrong else ""
        texts.append(fmt.number(value, 2) + note)
    ys = list(range(len(values)))[::-1]
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 0.17 * len(values) + 0.9)
        bold = [m == highlight for m in flagships["model"]]
        # Dots, not bars: on a log axis a bar's length depends on where the axis starts.
        ax.scatter(
            values,
            ys,
            s=[34 if b else 22 for b in bold],
            c=[_colour(r) for r in flagships["region"]],
            edgecolors=["black" if b else "none" for b in bold],
            linewidths=[1.0 if b else 0 for b in bold],
            zorder=3,
        )
        weights = ["bold" if b else "normal" for b in bold]
        label_hbars(ax, values, ys, texts, weights, offset=6)  # clear of the dot
        ax.set_xscale("log")
        ax.set_xlim(min(values) / 2, max(values) * 12)
        ax.xaxis.set_major_formatter(_plain())
        ax.set_axisbelow(True)
        ax.set_yticks(ys, list(flagships["model"]), fontsize=6.5)
        for tick, weight in zip(ax.get_yticklabels(), weights, strict=True):
            tick.set_fontweight(weight)
        ax.set_ylim(-0.7, len(values) - 0.3)
        ax.grid(True, axis="both")
        ax.set_xlabel("Blended 3:1 price, US$ per 1M tokens (log scale)")
        regions = list(pd.unique(flagships["region"]))
        ax.legend(
            handles=[
                Line2D([], [], marker="o", ls="", color=_colour(r), label=r)
                for r in sorted(regions)
            ],
            loc="upper right",  # the cheapest rows are at the top: their right is empty
        )
    return fig
