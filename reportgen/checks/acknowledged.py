"""Published differences acknowledged in the data with a reason (data/acknowledged.yaml).

`reportgen check` lists every published value that differs from its computed value; the data
are never changed to hide one. A report may be published only when every difference in the
files it read is acknowledged, in data/acknowledged.yaml, by a list of entries:

    - file: data/market/chips.csv       # the file as `reportgen check` prints it
      row: BI-V200*                      # the row label as `reportgen check` prints it
      column: gross_dies_per_wafer_published   # or a list of columns with one reason
      published: 142                     # optional: the printed value(s) acknowledged
      reason: the source prints the BI-V100's 142; 500 mm^2 gives 111

A value read from the analyst's workbook (excel.yaml) is printed as the workbook and its cell
(data/companies/x/model.xlsx: sheet 'IS'!D14); its entry names the workbook, or the table's
CSV file (data/companies/x/income_statement.csv), so entries survive a table's move into the
workbook.

An entry that no current difference matches is an error (stale: the value was fixed, or the
row moved), so acknowledgements cannot pile up. Differences in the files of a company whose
transcribed values an update retired (data/transcribed.py) need no acknowledgement.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.checks import find_mismatches
from reportgen.checks.mismatch import Mismatch
from reportgen.data.dataset import Dataset
from reportgen.data.sources import LocList, line_of, read_yaml
from reportgen.data.transcribed import Transcription, retired
from reportgen.errors import DataError, Problem, ProblemList
from reportgen.project import Project

ACK_FILE = "acknowledged.yaml"
#: Entry keys: required (True) or optional.
ENTRY_KEYS: dict[str, bool] = {
    "file": True,
    "row": True,
    "column": True,
    "published": False,
    "reason": True,
}


@dataclass(frozen=True)
class Acknowledgement:
    """One difference (one file, row and column) accepted as it is, and why."""

    file: str
    row: str
    column: str
    reason: str
    published: float | None
    line: int | None

    def covers(self, m: Mismatch) -> bool:
        """True when ``m`` is the difference this entry accepts (same printed value, if pinned)."""
        return self.names(m) and (self.published is None or _same(self.published, m.published))

    def names(self, m: Mismatch) -> bool:
        """True when ``m`` is in this entry's file, row and column. A value read from the
        workbook (excel.yaml) is in the workbook and also in its table's CSV name, so an
        entry written before the table moved to the workbook still names it."""
        same = (m.row, m.column) == (self.row, self.column)
        return same and self.file in (m.path, m.table_file)


@dataclass(frozen=True)
class Review:
    """The differences of some files, sorted: acknowledged, retired by an update, or not; and
    the acknowledgements no current difference matches."""

    acknowledged: tuple[tuple[Mismatch, Acknowledgement], ...]
    retired: tuple[tuple[Mismatch, Transcription], ...]
    unacknowledged: tuple[Mismatch, ...]
    stale: tuple[Problem, ...]


def ack_path(project: Project) -> Path:
    """data/acknowledged.yaml of the project."""
    return project.data / ACK_FILE


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.0, abs_tol=1e-9)


def _label(value: Any) -> str | None:
    """A row or column label as check prints it (YAML may read 2025 as a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return f"{value:g}"
    return value.strip() if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def load_acknowledgements(project: Project) -> tuple[Acknowledgement, ...]:
    """Every acknowledgement of data/acknowledged.yaml (none when the file is absent).

    Raises DataError listing every malformed entry at its line.
    """
    path = ack_path(project)
    shown = project.shown(path)
    if not path.is_file():
        return ()
    doc = read_yaml(path, shown)
    if doc is None:
        return ()
    if not isinstance(doc, LocList):
        raise DataError(
            [Problem(shown, 1, None, "expected a list of entries: file, row, column, reason")]
        )
    problems = ProblemList()
    found: list[Acknowledgement] = []
    seen: dict[tuple[str, str, str], int | None] = {}
    for index, entry in enumerate(doc):
        for ack in _entry(entry, line_of(doc, index), shown, problems):
            key = (ack.file, ack.row, ack.column)
            if key in seen:
                problems.add(
                    shown,
                    ack.line,
                    "column",
                    f"{ack.file}: {ack.row}: column '{ack.column}' is acknowledged twice "
                    f"(first on line {seen[key]})",
                )
                continue
            seen[key] = ack.line
            found.append(ack)
    problems.raise_if_any(DataError)
    return tuple(found)


def _entry(entry: Any, at: int | None, shown: str, problems: ProblemList) -> list[Acknowledgement]:
    """One entry's acknowledgements (one a column); its problems go to ``problems``."""
    if not isinstance(entry, Mapping):
        problems.add(shown, at, None, "expected a mapping: file, row, column, reason")
        return []
    for key in entry:
        if key not in ENTRY_KEYS:
            problems.add(
                shown,
                line_of(entry, key),
                key,
                f"unknown key; expected one of: {', '.join(ENTRY_KEYS)}",
            )
    missing = [k for k, required in ENTRY_KEYS.items() if required and k not in entry]
    for key in missing:
        problems.add(shown, at, key, "required key is missing")
    if missing:
        return []
    file, row = _label(entry["file"]), _label(entry["row"])
    raw = entry["column"]
    columns = [_label(c) for c in raw] if isinstance(raw, list) else [_label(raw)]
    reason = entry["reason"].strip() if isinstance(entry["reason"], str) else ""
    wrong = []
    if file is None:
        wrong.append(
            (
                "file",
                "expected the file as `reportgen check` prints it (e.g. data/market/chips.csv)",
            )
        )
    if row is None:
        wrong.append(("row", "expected the row label as check prints it"))
    if not columns or any(c is None for c in columns):
        wrong.append(("column", "expected a column name as check prints it, or a list of them"))
    if not reason:
        wrong.append(
            (
                "reason",
                "a reason is required: why the published value may differ (e.g. a misprint "
                "in the source, NM from a loss base)",
            )
        )
    for key, message in wrong:
        problems.add(shown, line_of(entry, key), key, message)
    published = _published(entry, len(columns), shown, problems)
    if wrong or published is False:
        return []
    assert isinstance(published, list)
    return [
        Acknowledgement(str(file), str(row), str(column), reason, value, at)
        for column, value in zip(columns, published, strict=True)
    ]


def _published(
    entry: Mapping[str, Any], count: int, shown: str, problems: ProblemList
) -> list[float | None] | bool:
    """The pinned printed value of each column (None: not pinned); False when malformed."""
    if "published" not in entry:
        return [None] * count
    raw = entry["published"]
    values = raw if isinstance(raw, list) else [raw] * count
    numbers = [_number(v) for v in values]
    if len(numbers) != count or any(n is None for n in numbers):
        problems.add(
            shown,
            line_of(entry, "published"),
            "published",
            f"expected the printed value as a number, or a list of {count} numbers (one a column)",
        )
        return False
    return list(numbers)


def _in(path: str, files: Collection[str] | None) -> bool:
    return files is None or path in files


def retirements(ds: Dataset) -> dict[str, Transcription]:
    """{company folder as check prints it: its retired transcription} for retired companies."""
    found: dict[str, Transcription] = {}
    for slug in sorted(ds.companies):
        company = ds.companies[slug]
        done = retired(company.raw)
        if done is not None:
            found[company.folder] = done
    return found


#: Differences that are house rules, not checks of a transcribed source: they stay checked
#: after an update retires the source's values (the base case is the target).
HOUSE_RULES = (("scenarios.base", "value"),)


def review(
    project: Project,
    ds: Dataset,
    mismatches: Sequence[Mismatch],
    files: Collection[str] | None = None,
) -> Review:
    """Sort the differences of ``files`` (all when None) against the acknowledgements and the
    retired transcriptions; acknowledgements of those files that match nothing are stale."""
    acks = load_acknowledgements(project)
    gone = retirements(ds)
    shown = project.shown(ack_path(project))
    acknowledged: list[tuple[Mismatch, Acknowledgement]] = []
    retired_: list[tuple[Mismatch, Transcription]] = []
    open_: list[Mismatch] = []
    used: set[Acknowledgement] = set()
    for m in mismatches:
        if not _in(m.path, files):
            continue
        ack = next((a for a in acks if a.covers(m)), None)
        if ack is not None:
            used.add(ack)
            acknowledged.append((m, ack))
            continue
        company = next((f for f in gone if m.path.startswith(f + "/")), None)
        if company is not None and (m.row, m.column) not in HOUSE_RULES:
            retired_.append((m, gone[company]))
            continue
        open_.append(m)
    stale = [_stale(a, mismatches, shown) for a in acks if a not in used and _in(a.file, files)]
    return Review(tuple(acknowledged), tuple(retired_), tuple(open_), tuple(stale))


def _stale(ack: Acknowledgement, mismatches: Iterable[Mismatch], shown: str) -> Problem:
    """Why an acknowledgement matches no current difference, at its entry's line."""
    what = f"{ack.file}: {ack.row}: column '{ack.column}'"
    moved = next((m for m in mismatches if ack.names(m)), None)
    if moved is not None and ack.published is not None:
        message = (
            f"acknowledges published {ack.published:g} for {what}, but the data now print "
            f"{moved.published:g}: review the reason, then update published"
        )
    else:
        message = (
            f"stale acknowledgement: {what} no longer differs from its computed value (or no "
            "longer exists); remove the entry"
        )
    return Problem(shown, ack.line, "column", message)


def unacknowledged_problem(m: Mismatch) -> Problem:
    """A difference not acknowledged, located at the data file's line."""
    computed = "NM" if math.isnan(m.computed) else f"{m.computed:.6g}"
    if m.cell:  # a workbook value: named by its cell, as data/excel.py's problems are
        return Problem(
            m.path,
            None,
            None,
            f"{m.cell}: {m.row}: column '{m.column}': published {m.published:g} differs from "
            f"computed {computed} ({m.tolerance}); not acknowledged: add it to data/{ACK_FILE} "
            "with a reason, or correct the workbook",
        )
    return Problem(
        m.path,
        m.line,
        m.column,
        f"{m.row}: published {m.published:g} differs from computed {computed} ({m.tolerance}); "
        f"not acknowledged: add it to data/{ACK_FILE} with a reason, or correct the data",
    )


def unacknowledged(project: Project, ds: Dataset, files_read: Collection[str]) -> list[Problem]:
    """Every published difference `reportgen check` lists in ``files_read`` (project-relative,
    as a build's manifest record names its inputs) that no acknowledgement with a reason
    covers, at the data file's line; plus the stale acknowledgements of those files.

    Raises DataError when data/acknowledged.yaml is malformed.
    """
    files = {f for f in files_read if not f.startswith("dir:")}
    found = review(project, ds, find_mismatches(ds), files)
    return [*(unacknowledged_problem(m) for m in found.unacknowledged), *found.stale]


def read_files(project: Project, keys: Iterable[str]) -> list[str]:
    """Files a build read (keys as deps.Reads names them), project-relative as in manifests."""
    from reportgen.plan import input_key

    return [input_key(project, k) for k in keys if not k.startswith("dir:")]
