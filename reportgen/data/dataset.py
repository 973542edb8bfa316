"""Load every data file into one validated, derived, read-only Dataset."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from reportgen.config import declared_tables, load_config
from reportgen.data import metrics
from reportgen.data.companies import Company, load_companies
from reportgen.data.provenance import sourced_records
from reportgen.data.schemas import DAY0_MATRIX, SCHEMAS, Column, TableSchema
from reportgen.data.sources import LocDict, LocList, line_of, read_csv, read_yaml
from reportgen.data.validate import LINE, validate_table
from reportgen.deps import CHANGED, DIR_PREFIX, key_of, record_all, recording, watch
from reportgen.errors import DataError, Problem, ProblemList
from reportgen.glyphs import covered_codepoints
from reportgen.modules import MODULES, module_of
from reportgen.project import PROJECT_FILE, Project

DAY0_CATALOGUE = "market/day0.yaml"


@dataclass(frozen=True)
class Day0Catalogue:
    """What the Day-0 matrix may contain and when it was taken."""

    as_of: dt.date
    source: str
    statuses: Mapping[str, str]
    vendors: tuple[str, ...]
    models: tuple[Mapping[str, str], ...]

    def family(self, model: str) -> str:
        for m in self.models:
            if m["name"] == model:
                return m["family"]
        raise KeyError(model)


class _RecordingCompanies(Mapping[str, Company]):
    """The companies mapping; looking one up records its folder's files (and listing) as read,
    with the hashes they had when the Dataset loaded them."""

    def __init__(self, companies: Mapping[str, Company], reads: Mapping[str, Mapping[str, str]]):
        self._companies = companies
        self._reads = reads

    def __getitem__(self, slug: str) -> Company:
        company = self._companies[slug]
        record_all(self._reads.get(slug, {}))
        return company

    def __iter__(self) -> Iterator[str]:
        return iter(self._companies)

    def __len__(self) -> int:
        return len(self._companies)


@dataclass(frozen=True)
class Dataset:
    """Validated tables with their derived columns; tables are handed out as copies.

    Reading a table (or a company) records the files it was derived from, with the hashes
    of the bytes that were loaded (not of the files as they are later), so the build knows
    exactly which inputs, in which state, each exhibit and report depends on.
    """

    root: Path
    _tables: Mapping[str, pd.DataFrame]
    files: Mapping[str, str]
    _day0_catalogue: Day0Catalogue | None
    companies: Mapping[str, Company] = field(default_factory=dict)
    extras: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    #: {table name: {file (as deps.Reads keys it): hash of the bytes loaded}}
    reads: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: The schema of every table read from a file: built-in (data/schemas.py, for the
    #: project's modules) and the project's own (reportgen.yaml ``tables:``).
    schemas: Mapping[str, TableSchema] = field(default_factory=dict)

    def _note(self, name: str) -> None:
        found = self.reads.get(name)
        if found is not None:
            record_all(found)
        else:  # not loaded by load_dataset: hash now, check when the task ends
            watch(self.sources.get(name, ()))

    def table(self, name: str) -> pd.DataFrame:
        """A copy of a table, so no caller can change what another sees.

        The accessor for every table, reportgen's and the project's own (declared under
        ``tables:`` in reportgen.yaml): one typed column per declared column, plus ``_line``
        (the row's line in its CSV file). Reading it records the table's files as inputs
        of the task. A name the project has not declared (nor enabled through a module) is
        a DataError naming the tables it has.
        """
        if name not in self._tables:
            raise DataError([_undeclared(name, self.names)])
        self._note(name)
        return self._tables[name].copy()

    def records(self, name: str) -> list[dict[str, Any]]:
        """A table's rows in file order as dicts, each number read from the file carrying its
        cell and each derived one its formula (data/provenance.py), for printing."""
        frame = self.table(name).sort_values(LINE, kind="stable")
        schema = self.schemas.get(name) or SCHEMAS.get(name)
        read = [c.name for c in schema.columns] if schema is not None else []
        formulas = metrics.FORMULAS.get(name, {})
        rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
        return sourced_records(rows, self.files[name], read, formulas)

    @property
    def day0_catalogue(self) -> Day0Catalogue:
        """market/day0.yaml (module ai_sector): its as-of date, statuses, vendors, models."""
        if self._day0_catalogue is None:
            raise DataError([_undeclared("day0", self.names)])
        self._note("day0")
        return self._day0_catalogue

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._tables))


def _undeclared(name: str, names: Sequence[str]) -> Problem:
    """Why table ``name`` is not in the Dataset: a module's table the project does not
    enable, or a name the project does not declare."""
    module = module_of((name,))
    have = ", ".join(names) or "none"
    if module is not None:
        why = f"table '{name}' belongs to module {module.name}; add it to modules"
    else:
        why = f"no table '{name}': declare it under tables:"
    return Problem(PROJECT_FILE, None, None, f"{why} in {PROJECT_FILE} (tables loaded: {have})")


def _shown(root: Path, rel: str) -> str:
    return f"{root.name}/{rel}" if root.name == "data" else str(root / rel)


def load_table(
    root: Path, schema: TableSchema, extra: Column | None = None, glyphs: Set[int] | None = None
) -> pd.DataFrame:
    """Read and validate one declared table; raises DataError with every problem found.

    ``glyphs``: the shipped fonts' coverage, checked in text cells (validate_table).
    """
    shown = _shown(root, schema.path)
    path = root / schema.path
    if not path.is_file():
        raise DataError(
            [Problem(shown, None, None, f"file not found (declared in {schema.origin})")]
        )
    raw = read_csv(path, shown)
    frame, problems = validate_table(raw, schema, extra, glyphs)
    if problems:
        raise DataError(problems)
    return frame


def load_day0_catalogue(root: Path) -> Day0Catalogue:
    """Read market/day0.yaml: as-of date, statuses, vendors and models the matrix may name."""
    shown = _shown(root, DAY0_CATALOGUE)
    path = root / DAY0_CATALOGUE
    if not path.is_file():
        raise DataError([Problem(shown, None, None, "file not found")])
    doc = read_yaml(path, shown)
    problems = ProblemList()
    if not isinstance(doc, LocDict):
        raise DataError([Problem(shown, 1, None, "expected a mapping at the top level")])
    for key in ("as_of", "source", "statuses", "vendors", "models"):
        if key not in doc:
            problems.add(shown, doc.line, key, "required key is missing")
    problems.raise_if_any()
    try:
        as_of = dt.date.fromisoformat(str(doc["as_of"]))
    except ValueError:
        problems.add(shown, line_of(doc, "as_of"), "as_of", "expected a date YYYY-MM-DD")
        as_of = dt.date.min
    statuses = doc["statuses"]
    if not isinstance(statuses, LocDict) or not statuses:
        problems.add(
            shown, line_of(doc, "statuses"), "statuses", "expected a mapping value: meaning"
        )
        statuses = {}
    vendors = doc["vendors"]
    if not isinstance(vendors, LocList) or not all(isinstance(v, str) for v in vendors):
        problems.add(shown, line_of(doc, "vendors"), "vendors", "expected a list of vendor names")
        vendors = []
    models = doc["models"]
    ok_models: list[dict[str, str]] = []
    if not isinstance(models, LocList):
        problems.add(shown, line_of(doc, "models"), "models", "expected a list of models")
    else:
        for i, m in enumerate(models):
            if not isinstance(m, dict) or not {"name", "family"} <= set(m):
                problems.add(
                    shown, line_of(models, i), "models", "each model needs name and family"
                )
                continue
            ok_models.append({k: str(v) for k, v in m.items()})
    problems.raise_if_any()
    return Day0Catalogue(
        as_of=as_of,
        source=str(doc["source"]),
        statuses=MappingProxyType(dict(statuses)),
        vendors=tuple(vendors),
        models=tuple(MappingProxyType(m) for m in ok_models),
    )


def load_day0(
    root: Path,
    catalogue: Day0Catalogue,
    glyphs: Set[int] | None = None,
    schema: TableSchema = DAY0_MATRIX,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the wide Day-0 matrix, check names against the catalogue, return (wide, long)."""
    shown = _shown(root, schema.path)
    path = root / schema.path
    if not path.is_file():
        raise DataError(
            [Problem(shown, None, None, f"file not found (declared in {schema.origin})")]
        )
    raw = read_csv(path, shown)
    cell = Column("status", "enum", choices=tuple(catalogue.statuses))
    wide, cell_problems = validate_table(raw, schema, extra=cell, glyphs=glyphs)
    problems = ProblemList()
    problems.extend(cell_problems)
    known_models = [m["name"] for m in catalogue.models]
    model_cols = [c for c in wide.columns if c not in (LINE, "vendor")]
    for name in model_cols:
        if name not in known_models:
            problems.add(
                shown,
                raw.header_line,
                name,
                f"unknown model (not in {DAY0_CATALOGUE}); known: {', '.join(known_models)}",
            )
    for _, row in wide.iterrows():
        if row["vendor"] is not None and row["vendor"] not in catalogue.vendors:
            problems.add(
                shown,
                int(row[LINE]),
                "vendor",
                f"unknown vendor '{row['vendor']}' (not in {DAY0_CATALOGUE}); "
                f"known: {', '.join(catalogue.vendors)}",
            )
    problems.raise_if_any()
    records = []
    for _, row in wide.iterrows():
        for name in model_cols:
            records.append(
                {
                    LINE: int(row[LINE]),
                    "vendor": row["vendor"],
                    "model": name,
                    "family": catalogue.family(name),
                    "status": row[name],
                }
            )
    long = pd.DataFrame.from_records(records, columns=[LINE, "vendor", "model", "family", "status"])
    return wide, long


def expected_schemas(root: Path) -> dict[str, TableSchema]:
    """The schema of every table the project expects under ``root`` (its data/ folder):
    the built-in tables of the modules its reportgen.yaml (in ``root``'s parent) enables,
    then the tables it declares itself. A folder whose parent has no reportgen.yaml is read
    as it always was: every built-in table expected."""
    project = root.parent
    if not (project / PROJECT_FILE).is_file():
        return dict(SCHEMAS)
    config = load_config(Project(project))
    where = f"{PROJECT_FILE}:{config.lines['modules']}" if "modules" in config.lines else ""
    out: dict[str, TableSchema] = {}
    for module in config.modules:
        for name in MODULES[module].tables:
            origin = f"module {module}, enabled in {where}"
            out[name] = dataclasses.replace(SCHEMAS[name], origin=origin)
    out.update(declared_tables(config.tables)[0])
    return out


def load_dataset(root: Path) -> Dataset:
    """Load, validate and derive every table under ``root`` (the data/ folder).

    Only the tables the project expects are read (expected_schemas: its modules' and its
    own); a file of a table it does not expect is left alone. Every file is read even when
    an earlier one fails, so one run lists all problems. Every file is read once; the
    Dataset keeps the hash of the bytes it loaded, and records those (never a later state of
    the file) when a task uses a table or a company.
    """
    with recording() as loaded:
        base = root / "companies"
        # A company's listing says which optional files it has: hashed before loading and
        # checked after (CHANGED if a file came or went meanwhile).
        watch(sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else [])
        ds = _load_dataset(root, expected_schemas(root))
    digests = loaded.settle()
    sources = dict(ds.sources)
    reads = {
        name: {key_of(p): digests.get(key_of(p), CHANGED) for p in paths}
        for name, paths in sources.items()
    }
    for slug in ds.companies:
        folder = key_of(base / slug)
        reads[f"company:{slug}"] = {
            k: v
            for k, v in digests.items()
            if k.removeprefix(DIR_PREFIX) == folder or k.startswith(folder + "/")
        }
    companies = _RecordingCompanies(
        MappingProxyType(dict(ds.companies)),
        {slug: reads.pop(f"company:{slug}") for slug in ds.companies},
    )
    return dataclasses.replace(ds, companies=companies, reads=MappingProxyType(reads))


def _load_dataset(root: Path, schemas: Mapping[str, TableSchema]) -> Dataset:
    """load_dataset without the record of what was read (see there)."""
    # Text cells are checked against the fonts the build uses (Project.fonts: the package's
    # overlaid with the project's own), so a character no font has is refused at its cell.
    fonts = Project(root.parent).fonts
    glyphs = covered_codepoints(fonts) if fonts.is_dir() else None
    problems = ProblemList()
    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for name, schema in sorted(schemas.items()):
        if name == DAY0_MATRIX.name:
            continue
        files[name] = _shown(root, schema.path)
        try:
            tables[name] = load_table(root, schema, glyphs=glyphs)
        except DataError as exc:
            problems.extend(exc.problems)
    catalogue: Day0Catalogue | None = None
    if DAY0_MATRIX.name in schemas:
        try:
            catalogue = load_day0_catalogue(root)
            day0 = schemas[DAY0_MATRIX.name]
            tables["day0_matrix"], tables["day0"] = load_day0(root, catalogue, glyphs, day0)
            files["day0_matrix"] = files["day0"] = _shown(root, DAY0_MATRIX.path)
        except DataError as exc:
            problems.extend(exc.problems)
    companies, company_problems = load_companies(root, _shown(root, "")[:-1] or str(root), glyphs)
    problems.extend(company_problems)
    # Cross-table checks run on whatever loaded, so one run lists every problem.
    derived, derive_problems = metrics.derive_all(tables, files)
    problems.extend(derive_problems)
    problems.raise_if_any()
    for frame in derived.values():
        frame.flags.allows_duplicate_labels = False  # type: ignore[attr-defined]
    project_file = root.parent / PROJECT_FILE
    sources: dict[str, tuple[Path, ...]] = {}
    for name in derived:
        if name in schemas and name not in SCHEMAS:
            # A project's own table is read under the columns reportgen.yaml declares.
            sources[name] = (root / schemas[name].path, project_file)
        elif name in schemas:
            sources[name] = (root / schemas[name].path,)
    if catalogue is not None:
        day0_files = (root / DAY0_MATRIX.path, root / DAY0_CATALOGUE)
        sources.update({"day0": day0_files, "day0_matrix": day0_files})
    # Derived columns read other tables: promotions are checked against list prices.
    pricing = root / SCHEMAS["llm_pricing"].path
    for name in ("llm_promotions", "llm_price_ranges_published"):
        if name in sources:
            sources[name] = (root / SCHEMAS[name].path, pricing)
    return Dataset(
        root=root,
        _tables=MappingProxyType(derived),
        files=MappingProxyType(files),
        _day0_catalogue=catalogue,
        companies=MappingProxyType(companies),
        sources=MappingProxyType(sources),
        schemas=MappingProxyType({n: s for n, s in schemas.items() if n in derived}),
    )
