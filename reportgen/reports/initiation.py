"""Initiations: one company (rating, target, scenarios from its data) or an industry of them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from reportgen import formatting
from reportgen.data.companies import Company, FxRate, Scenario, ValuationInputs
from reportgen.data.dataset import Dataset
from reportgen.data.locate import sourced_at, table_shown, value_place
from reportgen.data.provenance import derived
from reportgen.data.sources import LocDict, LocList, line_of, read_yaml
from reportgen.data.validate import LINE
from reportgen.errors import DataError, Problem, ProblemList, SpecError
from reportgen.models.company import (
    CompanyValuation,
    ScenarioValue,
    target_warning,
    value_company,
)
from reportgen.models.valuation import RIValuation, RIYear
from reportgen.prose_api import allow_prose, prose_api
from reportgen.publish.model import CoveredCompany, Estimate
from reportgen.reports.base import ReportType, report_type
from reportgen.reports.definition import DEFINITION_FILE, ReportDefinition
from reportgen.reports.history import ReleaseHistory, changes_of, estimate_changes, stock_ratings
from reportgen.reports.queries import QueryError, plain_row

#: Section parts laid out from company data (report.yaml ``sections: - part: ...``).
PARTS: dict[str, str] = {
    "company-cover": "a company's opening page in an industry initiation (rating, key data)",
    "risk-reward": "bull, base and bear values with drivers and risks (starts a new page)",
    "positives-concerns": "investment positives and concerns",
    "background": "company facts, then the section's prose and exhibits",
}
COMPARISON = "accelerator_comparison"
SCENARIO_ORDER = ("bull", "base", "bear")
#: A target-implied P/E above this is shown as not meaningful (profit near zero).
PE_NOT_MEANINGFUL: float = 1000.0
#: Keys of company.yaml an initiation shows; report.yaml may not restate them.
FROM_COMPANY_DATA = ("rating", "rating_action")


@dataclass(frozen=True)
class SectionMeta:
    """What the initiation templates need beyond a section's title, prose and exhibits."""

    part: str | None
    company: str | None


@dataclass(frozen=True)
class KeyData:
    """The key-data box of one company: identity, price, target, upside, size."""

    slug: str
    name: str
    short_name: str
    ticker: str
    exchange: str
    rating: str
    currency: str  # of the financials
    listing_currency: str  # of price, target and scenario values
    price: float
    price_date: dt.date
    target: float
    upside: float  # fraction
    shares_mn: float
    market_cap_mn: float  # price x shares, listing currency

    @property
    def market_cap_bn(self) -> float:
        """Market capitalisation in billions of the listing currency."""
        return derived(self.market_cap_mn / 1000.0, "market_cap_mn / 1000", self.market_cap_mn)


@dataclass(frozen=True)
class EstimateRow:
    """One first-page estimate line: label with unit, a value (or None) per period."""

    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class KeyEstimates:
    """First-page key estimates: annual periods, rows, and the target-implied multiples."""

    periods: tuple[str, ...]
    rows: tuple[EstimateRow, ...]
    implied_year: str
    implied_ps: float | None
    implied_pe: float | None


@prose_api("name")
@dataclass(frozen=True)
class Chip:
    """One accelerator of the chip cost table, inputs and computed rows (US$ unless named)."""

    brand: str
    product: str
    type: str
    die_size_mm2: float
    memory_gb: float
    memory_type: str
    power_w: float
    market_price_rmb: float | None
    market_price_usd: float
    manufacturing_cost_usd: float
    estimated_cost_usd: float
    gross_margin_pct: float
    performance_tflops: float
    perf_per_cost: float
    perf_per_watt: float

    @property
    def name(self) -> str:
        """The product name without the source's trailing '*' mark."""
        return self.product.rstrip("*")


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


@prose_api("chip", "of", "all", "best", "count")
class Chips:
    """Questions prose may ask of the chip cost table (market/chips.csv, computed rows)."""

    def __init__(self, ds: Dataset):
        self._ds = ds
        # Read now when the project has the table (module ai_sector), as Peers does; a
        # project without it fails only if prose asks a chip question (_frame says why).
        self._loaded = ds.table("chips") if "chips" in ds.names else None

    @property
    def _frame(self) -> pd.DataFrame:
        return self._loaded if self._loaded is not None else self._ds.table("chips")

    @staticmethod
    def _key(name: str) -> str:
        return name.replace(" ", "").rstrip("*").lower()

    def _chip(self, row: Mapping[Hashable, Any]) -> Chip:
        return Chip(
            brand=str(row["brand"]),
            product=str(row["product"]),
            type=str(row["type"]),
            die_size_mm2=float(row["die_size_mm2"]),
            memory_gb=float(row["memory_gb"]),
            memory_type=str(row["memory_type"]),
            power_w=float(row["power_w"]),
            market_price_rmb=_float(row["market_price_rmb"]),
            market_price_usd=float(row["market_price_usd"]),
            manufacturing_cost_usd=float(row["manufacturing_cost_usd"]),
            estimated_cost_usd=float(row["estimated_cost_usd"]),
            gross_margin_pct=float(row["gross_margin_pct"]),
            performance_tflops=float(row["performance_tflops"]),
            perf_per_cost=float(row["perf_per_cost"]),
            perf_per_watt=float(row["perf_per_watt"]),
        )

    def chip(self, product: str) -> Chip:
        """A chip by product name; spaces and a trailing '*' are ignored ('MLU690' works)."""
        for row in self._frame.to_dict("records"):
            if self._key(str(row["product"])) == self._key(product):
                return self._chip(row)
        known = ", ".join(str(p) for p in self._frame["product"])
        raise QueryError(f"unknown chip '{product}': not in market/chips.csv; known: {known}")

    def of(self, brand: str) -> list[Chip]:
        """Every chip of one brand, in file order."""
        rows = [self._chip(r) for r in self._frame.to_dict("records") if r["brand"] == brand]
        if not rows:
            raise QueryError(f"no chips of brand '{brand}' in market/chips.csv")
        return rows

    def all(self, brand_not: str | None = None) -> list[Chip]:
        """Every chip in file order, optionally leaving out one brand (e.g. 'Nvidia')."""
        rows = self._frame.to_dict("records")
        return [self._chip(r) for r in rows if brand_not is None or r["brand"] != brand_not]

    def best(self, metric: str, brand_not: str | None = None) -> Chip:
        """The chip with the highest ``metric`` (e.g. 'perf_per_watt'); ties by file order."""
        chips = self.all(brand_not)
        if not chips or not hasattr(chips[0], metric):
            raise QueryError(f"unknown chip metric '{metric}'")
        return max(chips, key=lambda c: getattr(c, metric))

    def count(self, brand_not: str | None = None) -> int:
        """Number of chips in the table, optionally leaving out one brand."""
        return len(self.all(brand_not))


@prose_api("value")
class Statements:
    """One company's tables for prose: a line item's value in a period column."""

    def __init__(self, company: Company):
        self._company = company

    def value(self, table: str, line_item: str, period: str) -> float:
        """E.g. value("income_statement", "net_sales", "2026E"); an empty cell is an error."""
        c = self._company
        if not c.has(table):
            raise QueryError(
                f"{c.folder} has no table '{table}'; it has: {', '.join(sorted(c.tables))}"
            )
        frame = c.tables[table]
        rows = frame.loc[frame["line_item"] == line_item] if "line_item" in frame else frame[:0]
        shown = table_shown(c, table)  # its CSV file, or the workbook mapping it
        if rows.empty:
            raise QueryError(f"no line_item '{line_item}' in {shown}")
        if period not in frame.columns:
            raise QueryError(f"no column '{period}' in {shown}")
        value = _float(rows.iloc[0][period])
        if value is None:
            raise QueryError(f"{shown}: '{line_item}' has no value in {period}")
        return sourced_at(value, value_place(c, table, line_item, period, rows.iloc[0][LINE]))


@prose_api("of")
class Peers:
    """The comparison of covered accelerator makers (market/accelerator_comparison.csv)."""

    def __init__(self, ds: Dataset):
        self._frame = ds.table(COMPARISON) if COMPARISON in ds.names else None

    def of(self, company: str) -> Mapping[str, Any]:
        """One company's row by its name as printed (e.g. 'Cambricon')."""
        if self._frame is None:
            from reportgen.modules import module_of

            module = module_of((COMPARISON,))
            where = f"module {module.name}'s table; add it to modules" if module else "declare it"
            raise QueryError(f"no table '{COMPARISON}' ({where} in reportgen.yaml)")
        if self._frame is not None:
            for row in self._frame.to_dict("records"):
                if row["company"] == company:
                    return plain_row(row)
        raise QueryError(f"no row for '{company}' in market/accelerator_comparison.csv")


# What prose may read of a company and its valuation (README: "what prose can cite"): every
# company.yaml input and computed value, but not the company's folder, raw YAML or tables
# (DataFrames); a table cell is cited through ``statements``.
allow_prose(
    Company,
    {f.name for f in dataclasses.fields(Company)} - {"folder", "tables", "raw"},
)
allow_prose(
    ValuationInputs, {f.name for f in dataclasses.fields(ValuationInputs)} | {"payout_for_model"}
)
for _cls in (Scenario, CompanyValuation, ScenarioValue, RIValuation, RIYear, FxRate):
    allow_prose(_cls, {f.name for f in dataclasses.fields(_cls)})


def key_data(company: Company, valuation: CompanyValuation) -> KeyData:
    """The key-data box: market cap computed as price x shares."""
    return KeyData(
        slug=company.slug,
        name=company.name,
        short_name=company.short_name,
        ticker=company.ticker,
        exchange=company.exchange,
        rating=company.rating,
        currency=company.currency,
        listing_currency=company.listing_currency,
        price=company.price,
        price_date=company.price_date,
        target=valuation.target,
        upside=valuation.upside,
        shares_mn=company.shares_mn,
        market_cap_mn=derived(
            company.price * company.shares_mn, "price * shares_mn", company.price, company.shares_mn
        ),
    )


def _read_definition(definition: ReportDefinition) -> LocDict:
    """report.yaml again, with line numbers (the parsed definition keeps only values)."""
    doc = read_yaml(definition.folder / DEFINITION_FILE, definition.shown)
    assert isinstance(doc, LocDict)  # load_definition checked it
    return doc


def _section_meta(
    doc: LocDict, definition: ReportDefinition, known: Mapping[str, Company], problems: ProblemList
) -> tuple[SectionMeta, ...]:
    """Each section's ``part`` and ``company`` keys, checked against PARTS and the companies."""
    shown = definition.shown
    raw = doc.get("sections")
    metas: list[SectionMeta] = []
    if not isinstance(raw, LocList):
        return ()
    for i, sec in enumerate(raw):
        if not isinstance(sec, LocDict) or not isinstance(sec.get("title"), str):
            continue  # load_definition reported it
        part = sec.get("part")
        company = sec.get("company", definition.company)
        if part is not None and part not in PARTS:
            problems.add(
                shown,
                line_of(sec, "part"),
                "part",
                f"unknown section part '{part}'; expected one of: {', '.join(PARTS)}",
            )
            part = None
        if "company" in sec and (not isinstance(company, str) or company not in known):
            problems.add(
                shown,
                line_of(sec, "company"),
                "company",
                f"unknown company '{company}'; known: {', '.join(sorted(known))} "
                "(folders under data/companies/)",
            )
            company = None
        if part is not None and company is None:
            problems.add(
                shown, line_of(raw, i), "part", f"part '{part}' needs a company: for its section"
            )
        metas.append(SectionMeta(part, company if isinstance(company, str) else None))
    return tuple(metas)


def _values(ds: Dataset, slugs: tuple[str, ...], shown: str) -> dict[str, CompanyValuation]:
    """Each company's valuation; a data problem is reported against the report too."""
    out: dict[str, CompanyValuation] = {}
    for slug in slugs:
        try:
            out[slug] = value_company(ds.companies[slug])
        except DataError as exc:
            raise DataError(
                [*exc.problems, Problem(shown, None, None, f"cannot value company '{slug}'")]
            ) from exc
    return out


@prose_api("get", "keys", "items", "values")
class Lazy(Mapping[str, Any]):
    """A read-only mapping whose values are computed on first access, then kept."""

    def __init__(self, keys: Iterable[str], make: Callable[[str], Any]):
        self._keys = tuple(keys)
        self._make = make
        self._done: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        if key not in self._done:
            self._done[key] = self._make(key)
        return self._done[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys


class _Initiation(ReportType):
    """Shared checks and context of the two initiation types."""

    def companies_of(self, definition: ReportDefinition) -> tuple[str, ...]:
        """The slugs this report covers, in report order."""
        raise NotImplementedError

    def history_companies(self, definition: ReportDefinition) -> tuple[str, ...]:
        """The rated companies: each gets a rating-history chart in the disclosures."""
        return self.companies_of(definition)

    def changes_companies(self, definition: ReportDefinition) -> tuple[tuple[str, ...], bool]:
        """The rated companies, each with a "changes since our last note" section when it
        was published before (reports/history.py), and whether the report has one company."""
        return self.companies_of(definition), definition.company is not None

    def release_facts(
        self, ds: Dataset, definition: ReportDefinition
    ) -> tuple[CoveredCompany, ...]:
        """Each rated company as this report rates it, with the first page's key estimates."""
        return tuple(
            covered_company_of(ds, slug, definition.shown) for slug in self.companies_of(definition)
        )

    def check(self, ds: Dataset, definition: ReportDefinition) -> tuple[SectionMeta, ...]:
        """Validate the company keys of report.yaml; every problem is listed, then abort."""
        doc = _read_definition(definition)
        problems = ProblemList()
        self.check_companies(doc, ds, definition, problems)
        metas = _section_meta(doc, definition, ds.companies, problems)
        problems.raise_if_any(SpecError)
        return metas

    def check_companies(
        self, doc: LocDict, ds: Dataset, definition: ReportDefinition, problems: ProblemList
    ) -> None:
        """Check the top-level company or companies key (subclasses)."""
        raise NotImplementedError

    def covered(self, ds: Dataset, definition: ReportDefinition) -> tuple[str, ...]:
        """Every company the report names (top level and sections), in report order.

        Only these companies' data are read, so editing another company's files leaves
        this report up to date.
        """
        metas = self.check(ds, definition)
        return tuple(
            dict.fromkeys(
                [*self.companies_of(definition), *(m.company for m in metas if m.company)]
            )
        )

    def validate(self, ds: Dataset, definition: ReportDefinition) -> list[Problem]:
        """The company keys and section parts, checked against data/companies."""
        try:
            self.check(ds, definition)
        except SpecError as exc:
            return list(exc.problems)
        return []

    def key_figures(self, ds: Dataset, definition: ReportDefinition) -> list[str]:
        """Each covered company's target, price and upside must be in the PDF's text."""
        figures = super().key_figures(ds, definition)
        for slug in self.companies_of(definition):
            company = ds.companies[slug]
            valuation = _values(ds, (slug,), definition.shown)[slug]
            cur = company.listing_currency
            figures += [
                formatting.money(valuation.target, cur, 0),
                formatting.money(company.price, cur, 2),
                formatting.frac_pct(valuation.upside, 1),
            ]
        return figures

    def warnings(self, ds: Dataset, definition: ReportDefinition) -> list[Problem]:
        """A model value that strays from the published target (errors under --strict)."""
        found = []
        for slug in self.companies_of(definition):
            valuation = _values(ds, (slug,), definition.shown)[slug]
            problem = target_warning(ds.companies[slug], valuation, ds.root)
            if problem is not None:
                found.append(problem)
        return found

    def prose_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Companies, valuations, statements, chip and peer tables, plus the base names."""
        self.check(ds, definition)
        slugs = tuple(ds.companies)
        # Lazy: only the companies prose actually cites are read (and become dependencies).
        return {
            **super().prose_context(ds, definition),
            "companies": Lazy(slugs, lambda slug: ds.companies[slug]),
            "valuations": Lazy(slugs, lambda slug: _values(ds, (slug,), definition.shown)[slug]),
            "chips": Chips(ds),
            "peers": Peers(ds),
            "statements": Lazy(slugs, lambda slug: Statements(ds.companies[slug])),
            # Since each company's last note (read from the release history on first use).
            "changes": Lazy(slugs, lambda slug: changes_of(ds, definition, slug)),
        }

    def page_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Key data, valuations and section parts of every company the report covers."""
        metas = self.check(ds, definition)
        slugs = self.covered(ds, definition)
        valuations = _values(ds, slugs, definition.shown)
        history, order = ReleaseHistory.of(ds), stock_ratings(ds)
        changes = {}
        for s in slugs:
            current = covered_company(ds.companies[s], valuations[s])
            previous = history.previous(s, definition.date, current)
            changes[s] = estimate_changes(previous, current, order)
        rest = iter(metas)
        return {
            "section_meta": tuple(
                SectionMeta(None, s.company) if s.automatic else next(rest)
                for s in definition.sections
            ),
            # Rating and target actions against each company's previous release.
            "actions": {s: changes[s].actions for s in slugs},
            "companies": {s: ds.companies[s] for s in slugs},
            "valuations": valuations,
            "key_data": {s: key_data(ds.companies[s], valuations[s]) for s in slugs},
            "scenario_order": SCENARIO_ORDER,
            "estimates": {s: key_estimates(ds.companies[s], valuations[s]) for s in slugs},
        }


def covered_company(company: Company, valuation: CompanyValuation) -> CoveredCompany:
    """The company as a release records it: identity, rating, price and target, and the
    revenue and net profit of every year the first page's key estimates show (the company
    model holds no EPS, so none is recorded)."""
    periods = key_estimates(company, valuation).periods
    unit = f"{company.currency} mn"
    estimates = tuple(
        Estimate(metric, period, float(value), unit)
        for metric, values in (("revenue", valuation.revenue), ("net_profit", valuation.net_profit))
        for period in periods
        if (value := _float(values.get(period))) is not None
    )
    return CoveredCompany(
        company=company.slug,
        name=company.name,
        ticker=company.ticker,
        rating=company.rating,
        price=float(company.price),
        price_date=company.price_date.isoformat(),
        price_target=float(valuation.target),
        currency=company.listing_currency,
        estimates=estimates,
    )


def covered_company_of(ds: Dataset, slug: str, shown: str) -> CoveredCompany:
    """``covered_company`` for the company folder ``slug``, valued as the report values it."""
    return covered_company(ds.companies[slug], _values(ds, (slug,), shown)[slug])


def key_estimates(company: Company, valuation: CompanyValuation) -> KeyEstimates:
    """Revenue, net profit and gross margin (%) for each annual period with revenue."""
    periods = tuple(sorted(valuation.revenue, key=lambda p: (p[:4], p.endswith("E"))))
    cur = company.currency
    margin = {p: 100.0 * m for p, m in valuation.gross_margin.items()}
    rows = (
        EstimateRow(f"Revenue ({cur} mn)", tuple(valuation.revenue.get(p) for p in periods)),
        EstimateRow(f"Net profit ({cur} mn)", tuple(valuation.net_profit.get(p) for p in periods)),
        EstimateRow("Gross margin (%)", tuple(margin.get(p) for p in periods)),
    )
    return KeyEstimates(
        periods=periods,
        rows=rows,
        implied_year=f"{company.valuation.explicit_years[0]}E",
        implied_ps=valuation.implied_ps,
        implied_pe=(
            valuation.implied_pe
            if valuation.implied_pe is not None and valuation.implied_pe <= PE_NOT_MEANINGFUL
            else None
        ),
    )


@report_type
class CompanyInitiation(_Initiation):
    """A company initiation: rating, target and scenarios come from the company's data."""

    name: ClassVar[str] = "company-initiation"
    template: ClassVar[str] = "initiation.html.j2"
    description: ClassVar[str] = (
        "Initiation of coverage on one company (report.yaml: company: <slug>); rating, "
        "price, target and scenarios come from data/companies/<slug>/."
    )

    def companies_of(self, definition: ReportDefinition) -> tuple[str, ...]:
        """The one company."""
        return (str(definition.company),)

    def check_companies(
        self, doc: LocDict, ds: Dataset, definition: ReportDefinition, problems: ProblemList
    ) -> None:
        """``company:`` must name a folder under data/companies; no rating in report.yaml."""
        shown = definition.shown
        slug = doc.get("company")
        if slug is None:
            problems.add(shown, doc.line, "company", "required key is missing (a company slug)")
        elif not isinstance(slug, str) or slug not in ds.companies:
            problems.add(
                shown,
                line_of(doc, "company"),
                "company",
                f"unknown company '{slug}'; known: {', '.join(sorted(ds.companies))} "
                "(folders under data/companies/)",
            )
        for key in FROM_COMPANY_DATA:
            if doc.get(key):
                problems.add(
                    shown,
                    line_of(doc, key),
                    key,
                    "is computed from the company's earlier releases (Initiate when there are "
                    "none); remove it here"
                    if key == "rating_action"
                    else f"comes from data/companies/{slug}/company.yaml; remove it here",
                )
        if "companies" in doc:
            problems.add(
                shown,
                line_of(doc, "companies"),
                "companies",
                "a company initiation covers one "
                "company: use company: <slug> (or type: industry-initiation)",
            )

    def prose_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Adds ``company`` and ``valuation`` for the report's company."""
        ctx = super().prose_context(ds, definition)
        slug = str(definition.company)
        return {**ctx, "company": ds.companies[slug], "valuation": ctx["valuations"][slug]}

    def page_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Adds the report's own company, valuation and key data."""
        ctx = super().page_context(ds, definition)
        slug = str(definition.company)
        return {
            **ctx,
            "company": ctx["companies"][slug],
            "valuation": ctx["valuations"][slug],
            "key": ctx["key_data"][slug],
        }


@report_type
class IndustryInitiation(_Initiation):
    """An industry initiation: framework exhibits, then a section set for each company."""

    name: ClassVar[str] = "industry-initiation"
    template: ClassVar[str] = "industry_initiation.html.j2"
    description: ClassVar[str] = (
        "Industry initiation with an industry rating and company sections "
        "(report.yaml: companies: [<slug>, ...])."
    )

    def companies_of(self, definition: ReportDefinition) -> tuple[str, ...]:
        """The covered companies, in report.yaml order."""
        return definition.companies

    def check_companies(
        self, doc: LocDict, ds: Dataset, definition: ReportDefinition, problems: ProblemList
    ) -> None:
        """``companies:`` must be a non-empty list of folders under data/companies."""
        shown = definition.shown
        raw = doc.get("companies")
        if not isinstance(raw, LocList) or not raw:
            problems.add(
                shown,
                line_of(doc, "companies") or doc.line,
                "companies",
                "expected a list of company slugs (folders under data/companies/)",
            )
            return
        for i, slug in enumerate(raw):
            if not isinstance(slug, str) or slug not in ds.companies:
                problems.add(
                    shown,
                    line_of(raw, i) or line_of(doc, "companies"),
                    "companies",
                    f"unknown company '{slug}'; known: {', '.join(sorted(ds.companies))} "
                    "(folders under data/companies/)",
                )
        if "company" in doc:
            problems.add(
                shown,
                line_of(doc, "company"),
                "company",
                "an industry initiation lists "
                "companies: [<slug>, ...]; company: is for a company initiation",
            )
