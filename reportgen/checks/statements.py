"""A company's statement ties, derived rows, period sums and consensus differences."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reportgen.checks.mismatch import Mismatch, as_number, int_line, outside
from reportgen.data.companies import Company
from reportgen.data.locate import Place, table_file, value_place
from reportgen.data.validate import LINE

# --- companies: statement ties and derived rows --------------------------------------------
#
# A rule says how a printed line follows from other printed lines of the same period (or an
# earlier one). Each term is written "[-][|]line_item[|][@step|@year][/2]": "-" subtracts
# it; "|line_item|" takes its absolute value (costs are printed negative by Iluvatar and
# positive by MetaX, so "-|cost_of_sales|" subtracts either way); "@step" is the previous
# period of the same kind (quarter, half, year), "@year" the same period a year earlier; "/2"
# halves the term (average balances). A rule applies where the tables hold every line it
# names. A published value is reported when it lies outside the range the rule can take over
# its inputs' printed rounding, widened by half a unit of its own last printed place
# (decimals read from the row's values).


@dataclass(frozen=True)
class Rule:
    """published = scale x (sum of num) / (sum of den) + offset; a tie when den is empty.

    ``nm_on_loss``: the ratio means nothing (NM) when its denominator is a loss or zero as
    printed (growth from a loss), so any number printed there is reported.
    """

    published: str
    num: tuple[str, ...]
    den: tuple[str, ...] = ()
    scale: float = 1.0
    offset: float = 0.0
    nm_on_loss: bool = False


def tie(total: str, *parts: str) -> Rule:
    """A printed total is the sum of its printed parts."""
    return Rule(total, parts)


def pct(published: str, num: Sequence[str], den: Sequence[str]) -> Rule:
    """A percentage: 100 x num / den."""
    return Rule(published, tuple(num), tuple(den), 100.0)


def times(published: str, num: Sequence[str], den: Sequence[str]) -> Rule:
    """A ratio printed as a multiple: num / den."""
    return Rule(published, tuple(num), tuple(den))


def growth(published: str, item: str, lag: str = "year") -> Rule:
    """Growth in %: 100 x (item / item a period earlier - 1); NM from a loss or zero base."""
    return Rule(published, (item,), (f"{item}@{lag}",), 100.0, -100.0, nm_on_loss=True)


def days(published: str, balance: str, flow: str) -> Rule:
    """Turnover days: 365 x year-end balance / the year's flow (sales or cost of sales)."""
    return Rule(published, (balance,), (flow,), DAYS_IN_YEAR)


#: Turnover days are on a 365-day year and year-end balances: Iluvatar's printed inventory
#: days for 2026E-2028E (400.0, 320.0, 250.0) are 365 x inventory / cost of sales exactly.
DAYS_IN_YEAR = 365.0


#: Iluvatar's Exhibit 32: income statement, balance sheet, cash flow and ratios together.
STATEMENT_RULES: tuple[Rule, ...] = (
    tie("gross_profit", "net_sales", "-|cogs|"),
    tie("operating_income", "gross_profit", "-|operating_expenses|"),
    tie("pre_tax_income", "operating_income", "non_operating_income"),
    # minority_interest is the minorities' share of net profit, signed: negative where they
    # absorb part of a loss, which raises the profit attributable to shareholders.
    tie("reported_net_income", "pre_tax_income", "-|income_tax|", "-minority_interest"),
    times("reported_eps_rmb_published", ["reported_net_income"], ["adj_wtd_avg_shares_mn"]),
    times("eps_for_consensus_rmb_published", ["reported_net_income"], ["adj_wtd_avg_shares_mn"]),
    tie("current_assets", "cash", "mkt_securities", "ar_nr", "inventory", "other_current_assets"),
    tie(
        "total_assets",
        "current_assets",
        "long_term_investments",
        "fixed_assets",
        "intangible_assets",
        "other_assets",
    ),
    tie(
        "total_liabilities",
        "st_borrowings",
        "ap_np",
        "other_st_liabilities",
        "lt_debt",
        "other_lt_liabilities",
    ),
    tie(
        "total_equity",
        "common_shares",
        "additional_capital",
        "retained_earning",
        "other_shareholders_equity",
    ),
    tie("total_liabilities_and_equity", "total_liabilities", "total_equity"),
    tie("total_liabilities_and_equity", "total_assets"),
    tie(
        "cashflow_from_operations",
        "net_profits",
        "depreciation",
        "working_capital_change",
        "other_adjustments_operating",
    ),
    tie(
        "cashflow_from_investing",
        "capex",
        "change_of_lt_investment",
        "change_of_st_investment",
        "other_adjustments_investing",
    ),
    tie(
        "cashflow_from_financing",
        "increase_in_lt_debt",
        "increase_in_st_debt",
        "cash_dividend_paid",
        "issuance_of_stock",
        "other_adjustments_financing",
    ),
    tie(
        "net_change_in_cash",
        "cashflow_from_operations",
        "cashflow_from_investing",
        "cashflow_from_financing",
        "exchange_rate_adjustment",
    ),
    # The cash flow starts from net profit before minorities: attributable + minorities.
    tie("net_profits", "reported_net_income", "minority_interest"),
    tie("cash", "cash@year", "net_change_in_cash"),
    tie("retained_earning", "retained_earning@year", "reported_net_income", "cash_dividend_paid"),
    growth("growth_revenue_pct_published", "net_sales"),
    growth("growth_operating_profits_pct_published", "operating_income"),
    growth("growth_pretax_profits_pct_published", "pre_tax_income"),
    growth("growth_net_profits_pct_published", "reported_net_income"),
    growth("growth_eps_pct_published", "reported_eps_rmb_published"),
    pct("gross_margin_pct_published", ["gross_profit"], ["net_sales"]),
    pct("operating_margin_pct_published", ["operating_income"], ["net_sales"]),
    pct("pretax_margin_pct_published", ["pre_tax_income"], ["net_sales"]),
    pct("net_profit_margin_pct_published", ["reported_net_income"], ["net_sales"]),
    pct("roae_pct_published", ["reported_net_income"], ["total_equity/2", "total_equity@year/2"]),
    pct("roaa_pct_published", ["reported_net_income"], ["total_assets/2", "total_assets@year/2"]),
    pct(
        "net_debt_to_equity_pct_published",
        ["st_borrowings", "lt_debt", "-cash", "-mkt_securities"],
        ["total_equity"],
    ),
    pct("liabilities_to_equity_pct_published", ["total_liabilities"], ["total_equity"]),
    times(
        "current_ratio_x_published",
        ["current_assets"],
        ["st_borrowings", "ap_np", "other_st_liabilities"],
    ),
    times(
        "quick_ratio_x_published",
        ["cash", "ar_nr"],
        ["st_borrowings", "ap_np", "other_st_liabilities"],
    ),
    days("ar_nr_turnover_days_published", "ar_nr", "net_sales"),
    days("inventory_turnover_days_published", "inventory", "|cogs|"),
    days("ap_turnover_days_published", "ap_np", "|cogs|"),
    tie(
        "cash_conversion_days_published",
        "ar_nr_turnover_days_published",
        "inventory_turnover_days_published",
        "-ap_turnover_days_published",
    ),
)

#: Half-year and quarterly estimates (Exhibits 33 and 39): subtotals, margins, growth.
ESTIMATE_RULES: tuple[Rule, ...] = (
    tie("gross_profit", "total_revenues", "-|cost_of_sales|"),
    tie("total_opex", "rnd", "gna", "selling"),
    tie("operating_income", "gross_profit", "-|total_opex|"),
    tie("profit_before_taxes", "operating_income", "non_operating_income"),
    tie("net_income_to_parent", "profit_before_taxes", "-|taxes|"),
    growth("hh_change_pct_published", "total_revenues", "step"),
    growth("qq_change_pct_published", "total_revenues", "step"),
    growth("yy_change_pct_published", "total_revenues", "year"),
    pct("cost_of_sales_pct_rev_published", ["|cost_of_sales|"], ["total_revenues"]),
    pct("gross_margin_pct_published", ["gross_profit"], ["total_revenues"]),
    pct(
        "incremental_margin_pct_published",
        ["gross_profit", "-gross_profit@step"],
        ["total_revenues", "-total_revenues@step"],
    ),
    pct("total_opex_pct_rev_published", ["|total_opex|"], ["total_revenues"]),
    pct("rnd_pct_rev_published", ["|rnd|"], ["total_revenues"]),
    pct("gna_pct_rev_published", ["|gna|"], ["total_revenues"]),
    pct("selling_pct_rev_published", ["|selling|"], ["total_revenues"]),
    pct("operating_margin_pct_published", ["operating_income"], ["total_revenues"]),
    pct("pbt_pct_rev_published", ["profit_before_taxes"], ["total_revenues"]),
    pct("tax_rate_pct_published", ["taxes"], ["profit_before_taxes"]),
    pct("net_income_pct_rev_published", ["net_income_to_parent"], ["total_revenues"]),
)

#: Estimates against consensus (Exhibit 26): margins per house_ and consensus_ column.
CONSENSUS_RULES: tuple[Rule, ...] = (
    pct("gross_margin_pct_published", ["gross_profit_rmb_mn"], ["net_sales_rmb_mn"]),
    pct("operating_margin_pct_published", ["operating_profit_rmb_mn"], ["net_sales_rmb_mn"]),
    pct("pretax_margin_pct_published", ["pretax_income_rmb_mn"], ["net_sales_rmb_mn"]),
    pct("net_margin_pct_published", ["net_income_rmb_mn"], ["net_sales_rmb_mn"]),
    pct(
        "opex_pct_sales_published",
        ["gross_profit_rmb_mn", "-operating_profit_rmb_mn"],
        ["net_sales_rmb_mn"],
    ),
)

#: Which rules apply to which tables, and whether the tables are read together.
STATEMENT_TABLES = ("income_statement", "balance_sheet", "cash_flow", "ratios")
ESTIMATE_TABLES = ("estimates_half_year", "estimates_quarterly")
_TERM = re.compile(r"^(-?)(\|)?([a-z][a-z0-9_]*)(?(2)\|)(?:@(step|year))?(/2)?$")
_PERIOD = re.compile(r"^(?:(\d{4})|([12])H(\d{2})|([1-4])Q(\d{2}))E?$")


@dataclass(frozen=True)
class Line:
    """One printed line item: its values by period, printed decimals, file and line; and
    where each value is (``places``, by period: a workbook's cells name each value)."""

    item: str
    values: Mapping[str, float]
    decimals: int
    path: str
    line: int | None
    places: Mapping[str, Place] = field(default_factory=dict)

    def mismatch(
        self, row: str, period: str, published: float, computed: float, tolerance: str
    ) -> Mismatch:
        """A mismatch of this line's value in ``period``, at its place."""
        place = self.places.get(period)
        if place is not None:
            return Mismatch.at(place, row, period, published, computed, tolerance)
        return Mismatch(self.path, self.line, row, period, published, computed, tolerance)


@dataclass(frozen=True)
class Term:
    """One parsed rule term."""

    item: str
    sign: float
    absolute: bool
    lag: str
    weight: float


#: A term with its printed value and half a unit of its last printed place.
Input = tuple[Term, float, float]


def parse_term(text: str) -> Term:
    """'-|cogs|@year/2' -> Term('cogs', -1, abs, 'year', 0.5)."""
    match = _TERM.match(text)
    if not match:
        raise ValueError(f"bad rule term {text!r}")
    minus, bars, item, lag, half = match.groups()
    return Term(item, -1.0 if minus else 1.0, bool(bars), lag or "", 0.5 if half else 1.0)


def printed_decimals(values: Sequence[float]) -> int:
    """The most decimals any of the values shows (the row's printed precision, at most 6)."""
    most = 0
    for value in values:
        text = f"{value:.6f}".rstrip("0")
        most = max(most, len(text.split(".")[1]) if "." in text else 0)
    return most


def period_key(label: str) -> tuple[int, int] | None:
    """'2026E' -> (1, 2026); '2H25' -> (2, 4051); '3Q26E' -> (4, 8106); else None."""
    match = _PERIOD.match(label)
    if not match:
        return None
    year, half, hyy, quarter, qyy = match.groups()
    if year:
        return 1, int(year)
    if half:
        return 2, (2000 + int(hyy)) * 2 + int(half) - 1
    return 4, (2000 + int(qyy)) * 4 + int(quarter) - 1


def lagged(label: str, lag: str, labels: Sequence[str]) -> str | None:
    """The label ``lag`` before ``label`` among ``labels`` ('' is the label itself)."""
    if not lag:
        return label
    key = period_key(label)
    if key is None:
        return None
    kind, index = key
    want = (kind, index - (1 if lag == "step" else kind))
    return next((other for other in labels if period_key(other) == want), None)


def read_lines(company: Company, tables: Sequence[str]) -> dict[str, Line]:
    """The printed line items of some of a company's period tables, by line item."""
    lines: dict[str, Line] = {}
    for name in tables:
        if not company.has(name):
            continue
        frame = company.tables[name]
        periods = [c for c in frame.columns if c not in (LINE, "line_item")]
        path = table_file(company, name)
        for row in frame.to_dict("records"):
            values = {p: v for p in periods if (v := as_number(row[p])) is not None}
            item = str(row["line_item"])
            decimals = printed_decimals(list(values.values()))
            places = {p: value_place(company, name, item, p, row[LINE]) for p in values}
            line = Line(item, values, decimals, path, int_line(row[LINE]), places)
            lines.setdefault(item, line)
    return lines


def _inputs(
    terms: Sequence[Term], lines: Mapping[str, Line], period: str, labels: Sequence[str]
) -> list[Input] | None:
    """(term, printed value, half unit) for each term in ``period``; None if any is missing."""
    out: list[Input] = []
    for term in terms:
        line = lines.get(term.item)
        at = lagged(period, term.lag, labels)
        if line is None or at is None or at not in line.values:
            return None
        out.append((term, line.values[at], 0.5 * 10.0 ** (-line.decimals)))
    return out


def _sum(items: Sequence[Input], shifts: Sequence[float]) -> float:
    """Sum of the terms with each input moved by its shift."""
    total = 0.0
    for (term, value, _), shift in zip(items, shifts, strict=True):
        moved = value + shift
        total += term.sign * term.weight * (abs(moved) if term.absolute else moved)
    return total


def rule_range(
    rule: Rule, num: Sequence[Input], den: Sequence[Input]
) -> tuple[float, float, float] | None:
    """(value from the printed inputs, lowest, highest over their rounding); None if undefined.

    A ratio is monotone in each input while its denominator keeps its sign, so the corners
    of the inputs' rounding box bound it.
    """
    boxes = [(-half, half) for _, _, half in (*num, *den)]
    if not den:  # linear: the point plus or minus the inputs' half units
        point = rule.scale * _sum(num, [0.0] * len(num)) + rule.offset
        spread = sum(abs(rule.scale * term.weight) * half for term, _, half in num)
        return point, point - spread, point + spread
    values: list[float] = []
    for shifts in itertools.product(*boxes):
        bottom = _sum(den, shifts[len(num) :])
        if bottom == 0:
            return None
        values.append(rule.scale * _sum(num, shifts[: len(num)]) / bottom)
    bottoms = [_sum(den, shifts[len(num) :]) for shifts in itertools.product(*boxes)]
    if min(bottoms) < 0 < max(bottoms):
        return None  # the denominator may be zero within its rounding
    point = rule.scale * _sum(num, [0.0] * len(num)) / _sum(den, [0.0] * len(den))
    return point + rule.offset, min(values) + rule.offset, max(values) + rule.offset


def _beyond(published: float, low: float, high: float, decimals: int) -> bool:
    """True when ``published`` lies outside [low, high] widened by half its last place."""
    half = 0.5 * 10.0 ** (-decimals)
    return not low - half - 1e-9 <= published <= high + half + 1e-9


def rule_mismatches(rules: Sequence[Rule], lines: Mapping[str, Line]) -> list[Mismatch]:
    """Each rule, in each period its published line prints, against the printed inputs."""
    labels = sorted({p for line in lines.values() for p in line.values})
    found: list[Mismatch] = []
    for rule in rules:
        target = lines.get(rule.published)
        num = [parse_term(t) for t in rule.num]
        den = [parse_term(t) for t in rule.den]
        if target is None or any(t.item not in lines for t in (*num, *den)):
            continue
        for period, published in target.values.items():
            top = _inputs(num, lines, period, labels)
            bottom = _inputs(den, lines, period, labels)
            if rule.nm_on_loss and top is not None and bottom is not None:
                base = _sum(bottom, [0.0] * len(bottom))
                if base <= 0:
                    found.append(
                        target.mismatch(
                            rule.published,
                            period,
                            published,
                            math.nan,
                            f"growth from a loss or zero base ({base:g}) is NM, not a number",
                        )
                    )
                    continue
            result = None if top is None or bottom is None else rule_range(rule, top, bottom)
            if result is None:
                continue  # an input is not printed (e.g. the year before the first column)
            point, low, high = result
            if _beyond(published, low, high, target.decimals):
                found.append(
                    target.mismatch(
                        rule.published,
                        period,
                        published,
                        point,
                        _rule_text(rule, target.decimals),
                    )
                )
    return found


def _rule_text(rule: Rule, decimals: int) -> str:
    """The rule and its tolerance, for the message."""
    formula = " + ".join(rule.num).replace("+ -", "- ")
    if rule.den:
        formula = f"({formula}) / ({' + '.join(rule.den).replace('+ -', '- ')})"
    if rule.scale == DAYS_IN_YEAR:
        formula = f"{DAYS_IN_YEAR:g} x {formula}"
    return f"= {formula}; printed to {decimals} dp, inputs rounded as printed"


def subperiod_mismatches(lines: Mapping[str, Line]) -> list[Mismatch]:
    """Each printed annual amount against the sum of its halves or quarters."""
    found: list[Mismatch] = []
    for line in lines.values():
        if line.item.endswith("_published"):
            continue  # ratios and per-share rows do not add up
        keys = {p: period_key(p) for p in line.values}
        for period, published in line.values.items():
            key = keys[period]
            if key is None or key[0] != 1:
                continue
            parts = {
                p: v
                for p, v in line.values.items()
                if (k := keys[p]) is not None and k[0] > 1 and k[1] // k[0] == key[1]
            }
            kinds = {keys[p][0] for p in parts}  # type: ignore[index]
            if len(kinds) != 1 or len(parts) != kinds.pop():
                continue
            half = 0.5 * 10.0 ** (-line.decimals)
            total = sum(parts.values())
            if outside(published, total, half * (len(parts) + 1)):
                found.append(
                    line.mismatch(
                        line.item,
                        period,
                        published,
                        total,
                        f"= sum of {', '.join(parts)}; printed to {line.decimals} dp",
                    )
                )
    return found


_DIFF = re.compile(r"^diff_pct_(\d{4}e)_published$")


def consensus_diff_mismatches(company: Company) -> list[Mismatch]:
    """Estimates vs consensus: each printed diff against house / consensus - 1."""
    if not company.has("estimates_vs_consensus"):
        return []
    frame = company.tables["estimates_vs_consensus"]
    diffs = {str(c): m.group(1) for c in frame.columns if (m := _DIFF.match(str(c)))}
    rule = Rule("diff", ("house",), ("consensus",), 100.0, -100.0)
    house, consensus = parse_term("house"), parse_term("consensus")
    found: list[Mismatch] = []
    for row in frame.to_dict("records"):
        cells = {str(c): v for c in frame.columns if (v := as_number(row[c])) is not None}
        given = [v for c, v in cells.items() if c not in diffs and c != LINE]
        shown = [v for c, v in cells.items() if c in diffs]
        half, decimals = 0.5 * 10.0 ** (-printed_decimals(given)), printed_decimals(shown)
        for column, year in diffs.items():
            ours, theirs = cells.get(f"house_{year}"), cells.get(f"consensus_{year}")
            if column not in cells or ours is None or theirs is None:
                continue
            result = rule_range(rule, [(house, ours, half)], [(consensus, theirs, half)])
            if result is not None and _beyond(cells[column], result[1], result[2], decimals):
                item = str(row["line_item"])
                place = value_place(company, "estimates_vs_consensus", item, column, row[LINE])
                found.append(
                    Mismatch.at(
                        place,
                        item,
                        column,
                        cells[column],
                        result[0],
                        f"= 100 x (house / consensus - 1); printed to {decimals} dp",
                    )
                )
    return found


def statement_mismatches(company: Company) -> list[Mismatch]:
    """Statement ties, derived rows and period sums in a company's own tables."""
    found = rule_mismatches(STATEMENT_RULES, read_lines(company, STATEMENT_TABLES))
    for name in ESTIMATE_TABLES:
        lines = read_lines(company, (name,))
        found += rule_mismatches(ESTIMATE_RULES, lines)
        found += subperiod_mismatches(lines)
    found += rule_mismatches(CONSENSUS_RULES, read_lines(company, ("estimates_vs_consensus",)))
    found += consensus_diff_mismatches(company)
    return found
