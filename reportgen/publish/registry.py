"""The release registry: every release, its covered companies, key estimates and recipient copies,
in a real database through SQLAlchemy Core.

By default an SQLite file in the project (DEFAULT_REGISTRY, nothing to install); house.yaml
``registry: {url: ...}`` names another database (PostgreSQL for a team), and the environment
variable REPORTGEN_REGISTRY_URL overrides both. Any failure to reach or read the database is a
RegistryError naming where the URL came from, with the URL's password masked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url

from reportgen.data.sources import line_of
from reportgen.errors import Problem, RegistryError
from reportgen.project import Project
from reportgen.publish.model import (
    DEFAULT_REGISTRY,
    CoveredCompany,
    Estimate,
    History,
    RecipientCopy,
    Release,
)
from reportgen.publish.snapshot import ENV_VAR, check_registry_key, mask_in_text

#: Seconds to wait for a database server before giving up (an unreachable one fails fast).
CONNECT_TIMEOUT = 5


metadata = sa.MetaData()

releases_table = sa.Table(
    "releases",
    metadata,
    sa.Column("release_id", sa.String, primary_key=True),
    sa.Column("slug", sa.String, nullable=False, index=True),
    sa.Column("report_type", sa.String, nullable=False),
    sa.Column("title", sa.String, nullable=False),
    sa.Column("report_date", sa.String, nullable=False),
    sa.Column("published_at", sa.String, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("analysts", sa.Text, nullable=False),  # JSON list, in the report's order
    sa.Column("reportgen_version", sa.String, nullable=False),
    sa.Column("git_commit", sa.String, nullable=True),
    sa.Column("inputs_digest", sa.String, nullable=False),
    sa.Column("pdf_sha256", sa.String, nullable=False),
    sa.Column("html_sha256", sa.String, nullable=False),
    sa.Column("manifest_sha256", sa.String, nullable=False),
    sa.Column("sample", sa.Boolean, nullable=False),
    sa.UniqueConstraint("slug", "release_id", name="uq_releases_slug_release_id"),
)

companies_table = sa.Table(
    "release_companies",
    metadata,
    sa.Column("release_id", sa.String, sa.ForeignKey("releases.release_id"), primary_key=True),
    sa.Column("company", sa.String, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),  # order in the release
    sa.Column("name", sa.String, nullable=False),
    sa.Column("ticker", sa.String, nullable=False),
    sa.Column("rating", sa.String, nullable=False),
    sa.Column("price", sa.Double, nullable=False),
    sa.Column("price_date", sa.String, nullable=False),
    sa.Column("price_target", sa.Double, nullable=True),
    sa.Column("currency", sa.String, nullable=False),
)

estimates_table = sa.Table(
    "release_estimates",
    metadata,
    sa.Column("release_id", sa.String, sa.ForeignKey("releases.release_id"), nullable=False),
    sa.Column("company", sa.String, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # order within the company
    sa.Column("metric", sa.String, nullable=False),
    sa.Column("year", sa.String, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("unit", sa.String, nullable=False),
    sa.PrimaryKeyConstraint("release_id", "company", "position"),
)

copies_table = sa.Table(
    "copies",
    metadata,
    sa.Column("release_id", sa.String, sa.ForeignKey("releases.release_id"), primary_key=True),
    sa.Column("email", sa.String, primary_key=True),  # one copy per address and release
    sa.Column("position", sa.Integer, nullable=False),  # order the copies were recorded
    sa.Column("name", sa.String, nullable=False),
    sa.Column("firm", sa.String, nullable=False),
    sa.Column("file", sa.String, nullable=False),
    sa.Column("sha256", sa.String, nullable=False),
    sa.Column("sent_at", sa.String, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
)


@dataclass(frozen=True)
class _Source:
    """Where the registry URL came from, for messages: file (or env var), line, key."""

    url: str | None
    path: str
    line: int | None
    column: str | None

    def problem(self, message: str) -> Problem:
        return Problem(self.path, self.line, self.column, message)


def mask_password(url: str) -> str:
    """``url`` with any password replaced by ***, for messages (also for unparsable URLs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sa_exc.ArgumentError, ValueError, TypeError):
        return mask_in_text(url)


def _source(house: Mapping[str, Any], shown: str) -> _Source:
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return _Source(env, ENV_VAR, None, None)
    problems = check_registry_key(house, shown)
    if problems:
        raise RegistryError(problems)
    value = house.get("registry")
    if not value:
        return _Source(None, DEFAULT_REGISTRY, None, None)
    line = line_of(value, "url") or line_of(house, "registry") or line_of(value)
    return _Source(value["url"].strip(), shown, line, "registry.url")


def registry_url(house: Mapping[str, Any], shown: str) -> str | None:
    """The registry's URL from REPORTGEN_REGISTRY_URL, else house.yaml ``registry.url``; None
    for the default SQLite file. A malformed ``registry`` key is a RegistryError."""
    return _source(house, shown).url


def _reason(exc: BaseException, url: URL | None) -> str:
    """The driver's own first line about a failure, without the password."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split()) or type(orig).__name__
    if url is not None and url.password:
        text = text.replace(str(url.password), "***")
    return text[:300]


def open_registry(
    project: Project, house: Mapping[str, Any], create: bool = False
) -> Registry | None:
    """The project's release registry, its tables made if missing; None when it is the default
    SQLite file (or an SQLite URL) whose file does not exist and ``create`` is False."""
    source = _source(house, project.shown(project.house))
    raw = source.url or f"sqlite:///{DEFAULT_REGISTRY}"
    shown = mask_password(raw)
    try:
        url = make_url(raw)
    except (sa_exc.ArgumentError, ValueError) as exc:
        raise RegistryError(
            [source.problem(f"not a database URL: {shown} ({_reason(exc, None)})")]
        ) from exc
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            path = path if path.is_absolute() else project.root / path
            if not path.exists():
                if not create:
                    return None
                path.parent.mkdir(parents=True, exist_ok=True)
            url = url.set(database=str(path))
        connect_args["timeout"] = CONNECT_TIMEOUT
    elif url.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    try:
        engine = sa.create_engine(url, connect_args=connect_args)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError) as exc:
        raise RegistryError(
            [source.problem(f"unknown database driver in {shown} ({_reason(exc, url)})")]
        ) from exc
    except ImportError as exc:
        raise RegistryError(
            [
                source.problem(
                    f"the database driver for {shown} is not installed ({_reason(exc, url)})"
                )
            ]
        ) from exc
    if url.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_foreign_keys)
    registry = Registry(engine, shown, source)
    with registry.guard("cannot open the release registry"):
        metadata.create_all(engine)
    return registry


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite checks foreign keys only when asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _release_row(release: Release) -> dict[str, Any]:
    row = {k: v for k, v in release.to_json().items() if k != "companies"}
    row["analysts"] = json.dumps(list(release.analysts))
    return row


def _sequence(release_id: str, report_date: str) -> int:
    tail = release_id.removeprefix(report_date + "-")
    return int(tail) if tail.isdigit() and tail != release_id else 0


class Registry:
    """An open registry. Every method is one transaction; failures are RegistryErrors."""

    def __init__(self, engine: Engine, url_shown: str, source: _Source):
        self.engine = engine
        #: The URL as messages show it (password masked).
        self.url_shown = url_shown
        self._source = source

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def guard(self, doing: str) -> Iterator[None]:
        """Turn a database failure into a RegistryError located at the URL's source."""
        try:
            yield
        except sa_exc.SQLAlchemyError as exc:
            url = self.engine.url
            raise RegistryError(
                [self._source.problem(f"{doing} at {self.url_shown}: {_reason(exc, url)}")]
            ) from exc

    def close(self) -> None:
        self.engine.dispose()

    def releases(self, slug: str | None = None) -> list[Release]:
        """Every release (or those of one report), oldest first (model.sort_key order)."""
        r = releases_table
        query = sa.select(r).order_by(r.c.report_date, r.c.published_at, r.c.release_id)
        if slug is not None:
            query = query.where(r.c.slug == slug)
        with self.guard("cannot read the release registry"), self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            if not rows:
                return []
            wanted = sa.select(r.c.release_id).where(r.c.slug == slug)
            companies = (
                conn.execute(
                    sa.select(companies_table)
                    .where(sa.true() if slug is None else companies_table.c.release_id.in_(wanted))
                    .order_by(companies_table.c.release_id, companies_table.c.position)
                )
                .mappings()
                .all()
            )
            estimates = (
                conn.execute(
                    sa.select(estimates_table)
                    .where(sa.true() if slug is None else estimates_table.c.release_id.in_(wanted))
                    .order_by(
                        estimates_table.c.release_id,
                        estimates_table.c.company,
                        estimates_table.c.position,
                    )
                )
                .mappings()
                .all()
            )
            by_company: dict[tuple[str, str], list[Estimate]] = {}
            for e in estimates:
                by_company.setdefault((e["release_id"], e["company"]), []).append(
                    Estimate(e["metric"], e["year"], e["value"], e["unit"])
                )
            by_release: dict[str, list[CoveredCompany]] = {}
            for c in companies:
                by_release.setdefault(c["release_id"], []).append(
                    CoveredCompany(
                        company=c["company"],
                        name=c["name"],
                        ticker=c["ticker"],
                        rating=c["rating"],
                        price=c["price"],
                        price_date=c["price_date"],
                        price_target=c["price_target"],
                        currency=c["currency"],
                        estimates=tuple(by_company.get((c["release_id"], c["company"]), ())),
                    )
                )
        return [
            Release(
                **{
                    **dict(row),
                    "sample": bool(row["sample"]),
                    "analysts": tuple(json.loads(row["analysts"])),
                    "companies": tuple(by_release.get(row["release_id"], ())),
                }
            )
            for row in rows
        ]

    def latest(self, slug: str) -> Release | None:
        """The report's most recent release (None before its first)."""
        found = self.releases(slug)
        return found[-1] if found else None

    def next_sequence(self, slug: str, report_date: str) -> int:
        """The sequence number of the next release of ``slug`` dated ``report_date``: one more
        than the highest of that date in the whole registry, so a release id names one release
        (several reports share a date; ids are the registry's primary key)."""
        r = releases_table
        with self.guard("cannot read the release registry"), self.engine.connect() as conn:
            ids = conn.execute(
                sa.select(r.c.release_id).where(r.c.report_date == report_date)
            ).scalars()
            return 1 + max((_sequence(i, report_date) for i in ids), default=0)

    def add_release(self, release: Release) -> None:
        """Record a release with its companies and their estimates, all or nothing."""
        companies = [
            {
                "release_id": release.release_id,
                "company": c.company,
                "position": i,
                "name": c.name,
                "ticker": c.ticker,
                "rating": c.rating,
                "price": c.price,
                "price_date": c.price_date,
                "price_target": c.price_target,
                "currency": c.currency,
            }
            for i, c in enumerate(release.companies)
        ]
        estimates = [
            {
                "release_id": release.release_id,
                "company": c.company,
                "position": j,
                "metric": e.metric,
                "year": e.year,
                "value": e.value,
                "unit": e.unit,
            }
            for c in release.companies
            for j, e in enumerate(c.estimates)
        ]
        doing = f"cannot record release {release.release_id} of {release.slug}"
        with self.guard(doing), self.engine.begin() as conn:
            exists = conn.execute(
                sa.select(releases_table.c.slug).where(
                    releases_table.c.release_id == release.release_id
                )
            ).first()
            if exists is not None:
                raise RegistryError(
                    [
                        self._source.problem(
                            f"release {release.release_id} is already recorded "
                            f"(report {exists[0]}) in {self.url_shown}"
                        )
                    ]
                )
            conn.execute(releases_table.insert(), [_release_row(release)])
            if companies:
                conn.execute(companies_table.insert(), companies)
            if estimates:
                conn.execute(estimates_table.insert(), estimates)

    def add_copies(self, copies: Sequence[RecipientCopy]) -> None:
        """Record recipient copies (one transaction); a copy already recorded for the same
        release and e-mail address is kept as it is (its sent state included)."""
        if not copies:
            return
        c = copies_table
        with self.guard("cannot record recipient copies"), self.engine.begin() as conn:
            ids = sorted({copy.release_id for copy in copies})
            present = {
                (row.release_id, row.email): row.position
                for row in conn.execute(
                    sa.select(c.c.release_id, c.c.email, c.c.position).where(
                        c.c.release_id.in_(ids)
                    )
                )
            }
            last = {i: max((p for (r, _), p in present.items() if r == i), default=-1) for i in ids}
            rows = []
            for copy in copies:
                if (copy.release_id, copy.email) in present:
                    continue
                last[copy.release_id] += 1
                present[(copy.release_id, copy.email)] = last[copy.release_id]
                rows.append(
                    {
                        "release_id": copy.release_id,
                        "email": copy.email,
                        "position": last[copy.release_id],
                        "name": copy.name,
                        "firm": copy.firm,
                        "file": copy.file,
                        "sha256": copy.sha256,
                        "sent_at": copy.sent_at,
                        "last_error": copy.last_error,
                    }
                )
            if rows:
                conn.execute(c.insert(), rows)

    def copies(self, release_id: str | None = None) -> list[RecipientCopy]:
        """Recorded copies (of one release, or all), by release and then recording order."""
        c = copies_table
        query = sa.select(c).order_by(c.c.release_id, c.c.position)
        if release_id is not None:
            query = query.where(c.c.release_id == release_id)
        with self.guard("cannot read recipient copies"), self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            RecipientCopy(
                release_id=row["release_id"],
                name=row["name"],
                firm=row["firm"],
                email=row["email"],
                file=row["file"],
                sha256=row["sha256"],
                sent_at=row["sent_at"],
                last_error=row["last_error"],
            )
            for row in rows
        ]

    def _update_copy(self, release_id: str, email: str, values: dict[str, Any]) -> None:
        c = copies_table
        doing = f"cannot update the copy of release {release_id} for {email}"
        with self.guard(doing), self.engine.begin() as conn:
            done = conn.execute(
                c.update().where(c.c.release_id == release_id, c.c.email == email).values(**values)
            )
            if done.rowcount != 1:
                raise RegistryError(
                    [self._source.problem(f"{doing}: no such copy is recorded in {self.url_shown}")]
                )

    def mark_sent(self, release_id: str, email: str, sent_at: str) -> None:
        """Record that the SMTP server accepted the copy (clears its last error)."""
        self._update_copy(release_id, email, {"sent_at": sent_at, "last_error": None})

    def mark_failed(self, release_id: str, email: str, error: str) -> None:
        """Record a failed send (the copy stays unsent, to be retried)."""
        self._update_copy(release_id, email, {"last_error": error})

    def history(self) -> History:
        """Every release, oldest first: what the build reads (HISTORY_FILE)."""
        return History(tuple(self.releases()))


def release_line(release: Release) -> str:
    """One line of `reportgen releases`: id, report, type, date, companies with rating and
    target, publication time and user."""
    companies = "; ".join(
        f"{c.name} ({c.ticker}) {c.rating}, "
        + (
            f"target {c.price_target:,.2f} {c.currency}"
            if c.price_target is not None
            else "no target"
        )
        for c in release.companies
    )
    return (
        f"{release.release_id}  {release.slug}  {release.report_type}  {release.report_date}  "
        f"{companies or 'no covered company'}  published {release.published_at} by {release.user}"
    )


def release_lines(project: Project, slug: str | None = None) -> list[str]:
    """What `reportgen releases [SLUG]` prints: one line per release, oldest first, or one
    line saying there is none (and whether SLUG names a report at all)."""
    from reportgen.plan import report_slugs
    from reportgen.publish.snapshot import read_house

    registry = open_registry(project, read_house(project))
    if registry is None:
        found: list[Release] = []
    else:
        with registry:
            found = registry.releases(slug)
    if found:
        return [release_line(r) for r in found]
    if slug is None:
        return ["no releases yet"]
    if slug not in report_slugs(project):
        return [f"no releases of {slug}: no report of that name is defined or was ever published"]
    return [f"no releases of {slug} yet"]
