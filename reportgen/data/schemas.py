"""Every data table's schema, declared once: columns, types, units, keys and published checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reportgen.data.numbers import NumberRule
from reportgen.data.sources import line_of
from reportgen.errors import Problem

Kind = Literal["str", "number", "int", "flag", "enum", "date"]


@dataclass(frozen=True)
class Column:
    """One column: its type, whether it may be empty, bounds, allowed values and unit."""

    name: str
    kind: Kind = "str"
    nullable: bool = True
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    unit: str = ""
    rule: NumberRule = NumberRule()
    description: str = ""


@dataclass(frozen=True)
class PublishedCheck:
    """A published column that should equal a computed one within the printed rounding.

    ``decimals`` is the precision the source printed; the check allows half a unit in the
    last printed place plus ``slack`` (for inputs that were themselves rounded before the
    source printed them, e.g. prices converted from RMB).
    """

    published: str
    computed: str
    decimals: int
    slack: float = 0.0
    #: Optional columns holding the lowest and highest value the computed column can take
    #: when its own inputs were rounded before printing (interval check instead of slack).
    bounds: tuple[str, str] | None = None


@dataclass(frozen=True)
class TableSchema:
    """A CSV table under data/: where it lives, its columns, its unique key and its checks."""

    name: str
    path: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    checks: tuple[PublishedCheck, ...] = field(default=())
    description: str = ""
    #: Where the table is declared, for messages ("schemas.py", "reportgen.yaml:12").
    origin: str = "schemas.py"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


SCHEMAS: dict[str, TableSchema] = {}


def declare(schema: TableSchema) -> TableSchema:
    """Register a schema by name; a duplicate name is a programming error."""
    if schema.name in SCHEMAS:
        raise ValueError(f"schema {schema.name!r} declared twice")
    SCHEMAS[schema.name] = schema
    return schema


_USD = NumberRule(currency=True)
_LENGTH = r"^~?\d+(\.\d+)?[KM]$"

LLM_PRICING = declare(
    TableSchema(
        name="llm_pricing",
        path="market/llm_pricing.csv",
        description="LLM API list prices per 1M tokens (sector note Figure 3).",
        key=("row",),
        columns=(
            Column("row", "int", nullable=False, minimum=1, description="row in the source"),
            Column("region", "enum", nullable=False, choices=("China", "Overseas")),
            Column("provider", "str", nullable=False),
            Column("model", "str", nullable=False),
            Column("flagship", "flag", description="Y when the source marks a flagship (★)"),
            Column("latest", "flag"),
            Column("input_usd", "number", nullable=False, minimum=0, unit="US$/1M", rule=_USD),
            Column("cache_read_usd", "number", minimum=0, unit="US$/1M", rule=_USD),
            Column("cache_write_usd", "number", minimum=0, unit="US$/1M", rule=_USD),
            Column("storage_usd_per_1m_per_h", "number", minimum=0, unit="US$/1M/h", rule=_USD),
            Column("output_usd", "number", nullable=False, minimum=0, unit="US$/1M", rule=_USD),
            Column(
                "output_usd_published",
                "number",
                minimum=0,
                unit="US$/1M",
                rule=_USD,
                description="a misprinted output price as printed; output_usd is the corrected one",
            ),
            Column("blended_3_1_usd_published", "number", minimum=0, unit="US$/1M", rule=_USD),
            Column("io_ratio_published", "number", minimum=0, unit="x"),
            Column("context_length", "str", pattern=_LENGTH),
            Column("output_length", "str", pattern=_LENGTH),
            Column("printed_provider_cell", "str", description="label as printed (repair trail)"),
        ),
        checks=(
            # A corrected misprint: the printed output price against the one the data carry
            # (so `reportgen check` keeps listing what the source printed).
            PublishedCheck("output_usd_published", "output_usd", decimals=2),
            # Prices converted from RMB were rounded to the cent before printing, so the
            # published value is checked against every value the half-cent interval around
            # each printed price allows (computed in data/metrics.py).
            PublishedCheck(
                "blended_3_1_usd_published",
                "blended_3_1_usd",
                decimals=4,
                bounds=("blended_3_1_usd_low", "blended_3_1_usd_high"),
            ),
            PublishedCheck(
                "io_ratio_published",
                "io_ratio",
                decimals=2,
                bounds=("io_ratio_low", "io_ratio_high"),
            ),
        ),
    )
)

DAY0_MATRIX = declare(
    TableSchema(
        name="day0_matrix",
        path="market/day0_matrix.csv",
        description="Day-0 adaptation of model families by Chinese chip vendors (Figure 6).",
        key=("vendor",),
        columns=(Column("vendor", "str", nullable=False),),
    )
)

CHINA_AI_SHIPMENTS = declare(
    TableSchema(
        name="china_ai_shipments",
        path="market/china_ai_shipments.csv",
        description="China AI accelerator shipments by vendor group (Figure 4).",
        key=("year", "vendor_group"),
        columns=(
            Column("year", "int", nullable=False, minimum=2000),
            Column("vendor_group", "str", nullable=False),
            Column("units_mn", "number", nullable=False, minimum=0, unit="mn units"),
            Column(
                "share_pct_published", "number", minimum=0, unit="%", rule=NumberRule(percent=True)
            ),
            Column("source", "str", nullable=False),
        ),
        checks=(PublishedCheck("share_pct_published", "share_pct", decimals=0, slack=1.0),),
    )
)

LLM_PROMOTIONS = declare(
    TableSchema(
        name="llm_promotions",
        path="market/llm_promotions.csv",
        description="Promotional API rates (Figure 2).",
        key=("model",),
        columns=(
            Column("model", "str", nullable=False),
            Column(
                "discount_pct",
                "number",
                nullable=False,
                minimum=0,
                unit="%",
                rule=NumberRule(percent=True),
            ),
            Column("input_usd", "number", nullable=False, minimum=0, unit="US$/1M", rule=_USD),
            Column("output_usd", "number", nullable=False, minimum=0, unit="US$/1M", rule=_USD),
            Column("announced", "date", nullable=False),
            Column("valid_until", "date", nullable=False),
            Column("extended_from", "date"),
            Column("source", "str", nullable=False),
        ),
        checks=(
            PublishedCheck("input_usd", "input_usd_computed", decimals=2),
            PublishedCheck("output_usd", "output_usd_computed", decimals=2),
        ),
    )
)

GPGPU_MARKET = declare(
    TableSchema(
        name="gpgpu_market",
        path="market/gpgpu_market.csv",
        description="China GPGPU market growth and localization rates as stated (Figure 5).",
        key=("metric", "segment", "year"),
        columns=(
            Column("metric", "enum", nullable=False, choices=("localization_rate", "cagr")),
            Column(
                "segment",
                "enum",
                nullable=False,
                choices=("total", "domestic", "overseas", "inference", "training"),
            ),
            Column("year", "str", nullable=False, pattern=r"^\d{4}(E)?(-\d{2}E)?$"),
            Column("value_pct", "number", nullable=False, unit="%", rule=NumberRule(percent=True)),
            Column("source", "str", nullable=False),
        ),
    )
)


_PCT = NumberRule(percent=True)

CHIPS = declare(
    TableSchema(
        name="chips",
        path="market/chips.csv",
        description="AI accelerator cost build-up and efficiency inputs (Exhibit 21).",
        key=("product",),
        columns=(
            Column("brand", "str", nullable=False),
            Column("product", "str", nullable=False),
            Column("type", "str", nullable=False),
            Column("die_size_mm2", "number", nullable=False, minimum=1, unit="mm2"),
            Column("dies_per_package", "int", nullable=False, minimum=1),
            Column("yield_pct", "number", nullable=False, minimum=0, unit="%", rule=_PCT),
            Column("wafer_price_usd", "number", nullable=False, minimum=0, unit="US$", rule=_USD),
            Column("memory_gb", "number", nullable=False, minimum=0, unit="GB"),
            Column("memory_type", "str"),
            Column("usd_per_16gb", "number", nullable=False, minimum=0, unit="US$", rule=_USD),
            Column("chips_per_cowos_wafer", "number", nullable=False, minimum=1),
            Column(
                "cowos_wafer_price_usd", "number", nullable=False, minimum=0, unit="US$", rule=_USD
            ),
            Column("gross_margin_pct", "number", nullable=False, minimum=0, unit="%", rule=_PCT),
            Column("market_price_rmb", "number", minimum=0, unit="Rmb", rule=_USD),
            Column("import_markup_pct", "number", nullable=False, minimum=0, unit="%", rule=_PCT),
            Column(
                "markup_added",
                "flag",
                description="Y: the market price is the original (list) price plus the import "
                "mark-up (original = market / (1 + mark-up)); empty: the mark-up is taken off "
                "the market price (original = market x (1 - mark-up))",
            ),
            Column("fp16_tflops", "number", minimum=0, unit="TFLOPS"),
            Column("fp8_tflops", "number", minimum=0, unit="TFLOPS"),
            Column("power_w", "number", nullable=False, minimum=1, unit="W"),
            Column("gross_dies_per_wafer_published", "number", minimum=0),
            Column("die_cost_usd_published", "number", minimum=0, rule=_USD),
            Column("memory_cost_usd_published", "number", minimum=0, rule=_USD),
            Column("packaging_test_cost_usd_published", "number", minimum=0, rule=_USD),
            Column("manufacturing_cost_usd_published", "number", minimum=0, rule=_USD),
            Column("other_overheads_usd_published", "number", rule=_USD),
            Column("estimated_cost_usd_published", "number", minimum=0, rule=_USD),
            Column("market_price_usd_published", "number", minimum=0, rule=_USD),
            Column("original_price_usd_published", "number", minimum=0, rule=_USD),
            Column("perf_per_cost_published", "number", minimum=0),
            Column("perf_per_watt_published", "number", minimum=0),
        ),
        # Exhibit 21 prints US$ to the dollar and efficiency ratios to two decimals.
        checks=(
            PublishedCheck("gross_dies_per_wafer_published", "gross_dies_per_wafer", decimals=0),
            PublishedCheck("die_cost_usd_published", "die_cost_usd", decimals=0),
            PublishedCheck("memory_cost_usd_published", "memory_cost_usd", decimals=0),
            PublishedCheck(
                "packaging_test_cost_usd_published", "packaging_test_cost_usd", decimals=0
            ),
            PublishedCheck(
                "manufacturing_cost_usd_published", "manufacturing_cost_usd", decimals=0, slack=1.0
            ),
            PublishedCheck(
                "other_overheads_usd_published", "other_overheads_usd", decimals=0, slack=1.0
            ),
            PublishedCheck("estimated_cost_usd_published", "estimated_cost_usd", decimals=0),
            PublishedCheck("market_price_usd_published", "market_price_usd", decimals=0),
            PublishedCheck("original_price_usd_published", "original_price_usd", decimals=0),
            PublishedCheck("perf_per_cost_published", "perf_per_cost", decimals=2),
            PublishedCheck("perf_per_watt_published", "perf_per_watt", decimals=2),
        ),
    )
)

_YES_NO = ("yes", "no")

ACCELERATOR_COMPARISON = declare(
    TableSchema(
        name="accelerator_comparison",
        path="market/accelerator_comparison.csv",
        description="Cambricon, MetaX and Iluvatar compared, one row per company (Exhibit 11).",
        key=("company",),
        columns=(
            Column("company", "str", nullable=False),
            Column("ticker", "str", nullable=False),
            Column("products", "str", nullable=False),
            Column("architecture", "enum", nullable=False, choices=("GPGPU", "ASIC")),
            Column("process_node_latest", "str", nullable=False),
            Column("secured_csp_orders", "enum", nullable=False, choices=_YES_NO),
            Column("sovereign_fund_major_shareholder", "enum", nullable=False, choices=_YES_NO),
            Column(
                "revenue_2025_rmb_mn",
                "number",
                nullable=False,
                minimum=0,
                unit="Rmb mn",
                rule=NumberRule(currency=True),
            ),
            Column("profitable", "enum", nullable=False, choices=_YES_NO),
        ),
    )
)

GPGPU_VS_ASIC = declare(
    TableSchema(
        name="gpgpu_vs_asic",
        path="market/gpgpu_vs_asic.csv",
        description="GPGPU against ASIC, one row per chip compared (Exhibit 22).",
        key=("brand", "product"),
        columns=(
            Column("brand", "str", nullable=False),
            Column("product", "str", nullable=False),
            Column("type", "enum", nullable=False, choices=("GPGPU", "ASIC (DSA)")),
            Column("general_computing", "str", nullable=False),
            Column("ai_matrix_computation", "str", nullable=False),
            Column("ecosystem", "str", nullable=False),
            Column("main_use_case", "str", nullable=False),
        ),
    )
)

UNIT_PRODUCTS = declare(
    TableSchema(
        name="unit_products",
        path="market/unit_products.csv",
        description="Key products of unlisted chip units, with Chinese names (Exhibit 43).",
        key=("unit", "product"),
        columns=(
            Column("unit", "str", nullable=False),
            Column("product", "str", nullable=False),
            Column("product_zh", "str", nullable=False),
            Column("category", "str", nullable=False),
            Column("compute", "str"),
            Column("memory_storage", "str"),
            Column("io_interconnect", "str"),
            Column("other_key_specs", "str"),
        ),
    )
)

LLM_PRICE_RANGES = declare(
    TableSchema(
        name="llm_price_ranges_published",
        path="market/llm_price_ranges_published.csv",
        description="Flagship price ranges as the source printed them (Figure 2), for checks.",
        key=("region", "measure", "end"),
        columns=(
            Column("label", "str", nullable=False),
            Column("region", "enum", nullable=False, choices=("China", "Overseas")),
            Column("measure", "enum", nullable=False, choices=("input", "output")),
            Column("end", "enum", nullable=False, choices=("low", "high")),
            Column("model_published", "str", nullable=False),
            Column("usd_published", "number", nullable=False, minimum=0, unit="US$/1M", rule=_USD),
        ),
        # Printed to one decimal ($0.3, $13.2, $50): the flagship min / max must round to it.
        checks=(PublishedCheck("usd_published", "usd_computed", decimals=1),),
    )
)


# --- tables a project declares in reportgen.yaml ---------------------------------------------

#: Column types a project may declare, as the kinds validation reads (data/validate.py).
DECLARED_TYPES: dict[str, Kind] = {"number": "number", "text": "str", "year": "int", "date": "date"}
#: Keys of one declared table and of one declared column, with what each holds.
TABLE_KEYS = {
    "file": "the CSV file's path in the project, under data/ (e.g. data/banks/deposits.csv)",
    "columns": "a mapping of column name -> {type, unit?, required?, description?}",
    "key": "a list of the columns that together identify a row",
    "description": "what the table holds, a text",
}
COLUMN_KEYS = {
    "type": f"one of {', '.join(DECLARED_TYPES)}",
    "unit": "the unit printed under the column's header, a text (e.g. US$ mn, %)",
    "required": "true when every row must give a value (key columns always must)",
    "description": "what the column holds, a text",
}
#: A declared table or column name: lower-case, digits and '_', starting with a letter.
DECLARED_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: Units that name a currency: such a number column accepts a leading currency sign.
_CURRENCY_UNITS = ("US$", "HK$", "Rmb", "RMB", "$", "¥", "€", "£")


def _number_rule(unit: str) -> NumberRule:
    """How a declared number column reads cells: '%' after the value when the unit is a
    percentage, a currency sign before it when the unit names a currency."""
    return NumberRule(percent=unit.strip() == "%", currency=unit.startswith(_CURRENCY_UNITS))


def _declared_column(
    name: str, spec: Any, where: str, in_key: bool, problems: list[Problem], table: str = ""
) -> Column | None:
    """One column of a declared table (None when it is malformed; problems say why, each
    at ``table.column.key``)."""
    line = line_of(spec)
    label = f"{table}.{name}" if table else name
    if not isinstance(spec, Mapping):
        problems.append(Problem(where, line, label, "expected a mapping {type: ..., unit: ...}"))
        return None
    before = len(problems)
    for key in spec:
        if key not in COLUMN_KEYS:
            problems.append(
                Problem(
                    where,
                    line_of(spec, key),
                    f"{label}.{key}",
                    f"unknown key; expected one of {', '.join(COLUMN_KEYS)}",
                )
            )
    kind = spec.get("type")
    if kind not in DECLARED_TYPES:
        problems.append(
            Problem(
                where,
                line_of(spec, "type") or line,
                f"{label}.type",
                f"expected {COLUMN_KEYS['type']}, found {kind!r}",
            )
        )
    for key in ("unit", "description"):
        if key in spec and not isinstance(spec[key], str):
            problems.append(
                Problem(where, line_of(spec, key), f"{label}.{key}", f"expected {COLUMN_KEYS[key]}")
            )
    required = spec.get("required", False)
    if not isinstance(required, bool):
        problems.append(
            Problem(where, line_of(spec, "required"), f"{label}.required", "expected true or false")
        )
    if len(problems) > before:
        return None
    unit = str(spec.get("unit", ""))
    declared = DECLARED_TYPES[str(kind)]
    return Column(
        name,
        declared,
        nullable=not (required or in_key),
        # A year is a whole number of four digits at least (1000 on): 25 is not a year.
        minimum=1000 if kind == "year" else None,
        unit=unit,
        rule=_number_rule(unit),
        description=str(spec.get("description", "")),
    )


def declared_schema(
    name: str, spec: Any, shown: str, problems: list[Problem], line: int | None = None
) -> TableSchema | None:
    """One table of reportgen.yaml's ``tables:`` as a TableSchema (path under data/), or
    None with every problem appended (located in ``shown``, the project file; ``line`` is
    the line of the table's name there)."""
    line = line or line_of(spec)
    where = shown
    if not isinstance(spec, Mapping):
        problems.append(Problem(where, line, name, "expected a mapping {file, columns, key?}"))
        return None
    before = len(problems)
    if not DECLARED_NAME.match(name):
        problems.append(
            Problem(
                where,
                line,
                name,
                "a table name is lower-case letters, digits and '_', starting with a letter",
            )
        )
    for key in spec:
        if key not in TABLE_KEYS:
            problems.append(
                Problem(
                    where,
                    line_of(spec, key),
                    f"{name}.{key}",
                    f"unknown key; expected one of {', '.join(TABLE_KEYS)}",
                )
            )
    for key in ("file", "columns"):
        if key not in spec:
            problems.append(
                Problem(where, line, f"{name}.{key}", f"required key is missing: {TABLE_KEYS[key]}")
            )
    file = spec.get("file")
    path = ""
    if "file" in spec:
        path = _data_path(file)
        if not path:
            problems.append(
                Problem(
                    where,
                    line_of(spec, "file"),
                    f"{name}.file",
                    f"expected {TABLE_KEYS['file']} ending in .csv, found {file!r}",
                )
            )
    key_cols = spec.get("key", [])
    if not (isinstance(key_cols, list) and all(isinstance(k, str) for k in key_cols)):
        problems.append(
            Problem(where, line_of(spec, "key"), f"{name}.key", f"expected {TABLE_KEYS['key']}")
        )
        key_cols = []
    if "description" in spec and not isinstance(spec["description"], str):
        problems.append(
            Problem(where, line_of(spec, "description"), f"{name}.description", "expected a text")
        )
    raw_columns = spec.get("columns")
    columns: list[Column] = []
    if "columns" in spec:
        if not isinstance(raw_columns, Mapping) or not raw_columns:
            problems.append(
                Problem(
                    where,
                    line_of(spec, "columns"),
                    f"{name}.columns",
                    f"expected {TABLE_KEYS['columns']}, at least one",
                )
            )
        else:
            for col_name, col_spec in raw_columns.items():
                col_line = line_of(raw_columns, col_name)
                if not (isinstance(col_name, str) and DECLARED_NAME.match(col_name)):
                    problems.append(
                        Problem(
                            where,
                            col_line,
                            f"{name}.columns",
                            f"column name {col_name!r}: lower-case letters, digits and '_', "
                            "starting with a letter",
                        )
                    )
                    continue
                in_key = col_name in key_cols
                col = _declared_column(col_name, col_spec, where, in_key, problems, name)
                if col is not None:
                    columns.append(col)
            for k in key_cols:
                if k not in raw_columns:
                    problems.append(
                        Problem(
                            where,
                            line_of(spec, "key"),
                            f"{name}.key",
                            f"key column '{k}' is not among the table's columns",
                        )
                    )
    if len(problems) > before:
        return None
    return TableSchema(
        name=name,
        path=path,
        columns=tuple(columns),
        key=tuple(key_cols),
        description=str(spec.get("description", "")),
        origin=f"{shown}:{line}" if line else shown,
    )


def _data_path(file: Any) -> str:
    """``file`` (data/x.csv) as a path under data/ ('x.csv'), or '' when it is not a plain
    relative path to a CSV file inside data/ (no '..', no absolute path, no backslash)."""
    if not isinstance(file, str) or "\\" in file or not file.endswith(".csv"):
        return ""
    parts = file.split("/")
    if parts[0] != "data" or len(parts) < 2 or any(p in ("", ".", "..") for p in parts):
        return ""
    return "/".join(parts[1:])


def declared_schemas(
    tables: Mapping[str, Any], shown: str, reserved: Mapping[str, str] | None = None
) -> tuple[dict[str, TableSchema], list[Problem]]:
    """Every table of reportgen.yaml's ``tables:`` as a TableSchema, with every problem.

    ``reserved`` maps names a project may not reuse (built-in tables, module data) to what
    holds them, for the message.
    """
    problems: list[Problem] = []
    out: dict[str, TableSchema] = {}
    taken = dict(reserved or {})
    for name, spec in tables.items():
        key = str(name)
        if key in taken:
            problems.append(
                Problem(
                    shown,
                    line_of(tables, name),
                    key,
                    f"table name '{key}' is taken by {taken[key]}; choose another name",
                )
            )
            continue
        schema = declared_schema(key, spec, shown, problems, line_of(tables, name))
        if schema is not None:
            out[key] = schema
    return out, problems
