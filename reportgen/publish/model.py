"""What a release is, as plain values: the registry stores these, the build reads them back.

Shared by the publishing modules (publish/), the registry (publish/registry.py), the history
the build reads (publish/snapshot.py writes it, reports/history.py reads it) and the
disclosure exhibits. Nothing here touches a file or a database.

Layout of a project's releases (every path relative to the project root):

    releases/registry.sqlite                 the default registry (house.yaml registry.url: another)
    releases/<slug>/<release id>/            one immutable release: written once, never rewritten
        <slug>.pdf  <slug>.html  manifest.json
        outbox/<copy file>.pdf               recipient copies (publish --recipients)
    releases/<slug>/.staging-<release id>/   a release being written; renamed into place whole
    .reportgen-cache/registry/history.json   the registry as the build reads it (HISTORY_FILE)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: Where releases live, relative to the project root.
RELEASES_DIR = "releases"
#: The default registry: an SQLite file in the project (nothing to install).
DEFAULT_REGISTRY = "releases/registry.sqlite"
#: The registry as the build reads it (a build input like a data file, hashed by its bytes).
HISTORY_FILE = ".reportgen-cache/registry/history.json"
#: A release being written: renamed to its id once every file is in place.
STAGING_PREFIX = ".staging-"
#: The release's own record of what it holds.
MANIFEST_NAME = "manifest.json"
#: The folder of recipient copies inside a release.
OUTBOX = "outbox"
HISTORY_VERSION = 1


def release_id(date: str, sequence: int) -> str:
    """'2026-04-26' and 2 -> '2026-04-26-02': the report date and the publication's number
    among all releases of that date (1-based), so an id names one release house-wide (a
    recipient's stamp and the registry's copies refer to it alone)."""
    return f"{date}-{sequence:02d}"


@dataclass(frozen=True)
class Estimate:
    """One key estimate of a covered company as published: metric is 'revenue', 'net_profit'
    or 'eps'; year as the report labels it ('2026E', '2025'); unit as printed ('Rmb mn')."""

    metric: str
    year: str
    value: float
    unit: str


@dataclass(frozen=True)
class CoveredCompany:
    """A company as one release rated it (what the disclosures and estimate changes read)."""

    company: str  # the company's folder name under data/companies
    name: str
    ticker: str
    rating: str
    price: float
    price_date: str  # ISO date
    price_target: float | None
    currency: str  # the listing currency (of price and target)
    estimates: tuple[Estimate, ...] = ()


@dataclass(frozen=True)
class Release:
    """One published report: the registry row and its covered companies."""

    release_id: str
    slug: str
    report_type: str
    title: str
    report_date: str  # ISO date of the report
    published_at: str  # ISO UTC timestamp, seconds
    user: str
    analysts: tuple[str, ...]
    reportgen_version: str
    git_commit: str | None
    #: sha256 over the sorted input hashes the build read, the registry history excluded:
    #: equal for two publications means nothing changed (the second is refused).
    inputs_digest: str
    pdf_sha256: str
    html_sha256: str
    manifest_sha256: str
    sample: bool
    companies: tuple[CoveredCompany, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Release:
        companies = tuple(
            CoveredCompany(
                **{
                    **c,
                    "estimates": tuple(Estimate(**e) for e in c.get("estimates", ())),
                }
            )
            for c in raw.get("companies", ())
        )
        return cls(
            **{
                **{k: v for k, v in raw.items() if k != "companies"},
                "analysts": tuple(raw.get("analysts", ())),
                "companies": companies,
            }
        )


@dataclass(frozen=True)
class RecipientCopy:
    """One stamped copy of a release for one recipient, and whether it was sent."""

    release_id: str
    name: str
    firm: str
    email: str
    file: str  # path relative to the release folder, e.g. 'outbox/<slug>-<n>.pdf'
    sha256: str
    sent_at: str | None = None  # ISO UTC when the SMTP server accepted it
    last_error: str | None = None  # the last failed attempt's message


@dataclass(frozen=True)
class History:
    """Every release in the registry, oldest first: what HISTORY_FILE holds."""

    releases: tuple[Release, ...] = field(default_factory=tuple)

    def to_bytes(self) -> bytes:
        """Deterministic JSON (same registry, same bytes: the build hashes it as an input)."""
        payload = {
            "version": HISTORY_VERSION,
            "releases": [r.to_json() for r in self.releases],
        }
        return (json.dumps(payload, indent=1, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> History:
        raw = json.loads(data.decode("utf-8"))
        if raw.get("version") != HISTORY_VERSION:
            return cls()
        return cls(tuple(Release.from_json(r) for r in raw.get("releases", ())))


def sort_key(release: Release) -> tuple[str, str, str]:
    """Registry order: report date, then publication time, then id."""
    return (release.report_date, release.published_at, release.release_id)
