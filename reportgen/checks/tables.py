"""Published columns of the market tables against their computed columns (schema checks)."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping

from reportgen.checks.mismatch import Mismatch
from reportgen.data.dataset import Dataset
from reportgen.data.schemas import SCHEMAS
from reportgen.data.validate import LINE
from reportgen.models.pricing import within_rounding

LABEL_COLUMNS = (
    "label",
    "model",
    "product",
    "vendor_group",
    "vendor",
    "name",
    "line_item",
    "metric",
)


def _label(row: Mapping[Hashable, object]) -> str:
    for col in LABEL_COLUMNS:
        value = row.get(col)
        if isinstance(value, str) and value:
            return value
    return "row"


def table_mismatches(dataset: Dataset, only: Collection[str] | None = None) -> list[Mismatch]:
    """Each declared published column of the market tables against its computed column.

    ``only`` limits the check to some tables, so an exhibit that marks differences in one
    table reads (and depends on) that table alone.
    """
    found: list[Mismatch] = []
    for name, schema in sorted(SCHEMAS.items()):
        if not schema.checks or name not in dataset.names:
            continue
        if only is not None and name not in only:
            continue
        frame = dataset.table(name)
        for check in schema.checks:
            tolerance = f"printed to {check.decimals} dp"
            if check.bounds:
                tolerance += ", inputs rounded to the cent"
            if check.slack:
                tolerance += f", slack {check.slack:g}"
            for row in frame.to_dict("records"):
                published = row[check.published]
                computed = row[check.computed]
                if published is None or computed is None:
                    continue
                if math.isnan(published) or math.isnan(computed):
                    continue
                if within_rounding(published, computed, check.decimals, check.slack):
                    continue
                if check.bounds is not None:
                    low, high = row[check.bounds[0]], row[check.bounds[1]]
                    half = 0.5 * 10.0 ** (-check.decimals)
                    if low == low and high == high and low - half <= published <= high + half:
                        continue
                line = row[LINE]
                found.append(
                    Mismatch(
                        path=dataset.files[name],
                        line=None if line is None or line != line else int(line),
                        row=_label(row),
                        column=check.published,
                        published=float(published),
                        computed=float(computed),
                        tolerance=tolerance,
                    )
                )
    return found
