"""Which PDF variant a report is written as: the command line's, else its report.yaml's, else
the house's (house.yaml ``pdf_variant``), else PDF/A-3b (archival, may carry attachments).

Light (no pandas or WeasyPrint): the plan reads it to tell whether a built report's variant
still stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportgen.errors import Problem, ReportgenError

#: The variants WeasyPrint writes that a build may ask for (the CLI's choices).
PDF_VARIANTS = ("pdf/a-3b", "pdf/a-2b", "pdf/ua-1")
#: A build without another choice is archival: PDF/A-3b (issue 11: releases are PDF/A-3b).
DEFAULT_PDF_VARIANT = "pdf/a-3b"
HOUSE_KEY = "pdf_variant"


def effective_variant(
    cli: str | None, report_options: Mapping[str, Any] | None, house: Mapping[str, Any] | None
) -> str:
    """The variant a build writes: ``cli``, else report.yaml's, else the house's, else default."""
    for choice in (
        cli,
        (report_options or {}).get("pdf_variant"),
        (house or {}).get(HOUSE_KEY),
    ):
        if isinstance(choice, str) and choice:
            return choice
    return DEFAULT_PDF_VARIANT


def house_variant_problems(doc: Mapping[str, Any], shown: str, line: int | None) -> list[Problem]:
    """A located problem when house.yaml's ``pdf_variant`` is not one of PDF_VARIANTS."""
    if HOUSE_KEY not in doc:
        return []
    value = doc[HOUSE_KEY]
    if isinstance(value, str) and value in PDF_VARIANTS:
        return []
    return [
        Problem(
            shown,
            line,
            HOUSE_KEY,
            f"{value!r} is not one of: {', '.join(PDF_VARIANTS)} (default {DEFAULT_PDF_VARIANT})",
        )
    ]


def _options_of(path: Path) -> Mapping[str, Any]:
    """A YAML file's top-level mapping, or {} when it cannot be read (the build reports why).

    Read with the data's strict loader (no aliases, bounded size and depth): the plan reads
    these files before anything is validated.
    """
    from reportgen.data.sources import load_yaml_text

    try:
        doc = load_yaml_text(path.read_text(encoding="utf-8"), path.name)
    except (OSError, UnicodeDecodeError, ReportgenError):
        return {}
    return doc if isinstance(doc, dict) else {}


def configured_variant(report_yaml: Path, house_yaml: Path, cli: str | None = None) -> str:
    """The variant a build would write now, read from the files (for the plan: no validation;
    a malformed file makes the build stale through its hash and fails there, located)."""
    if cli:
        return cli
    options = _options_of(report_yaml).get("options")
    return effective_variant(
        None, options if isinstance(options, dict) else None, _options_of(house_yaml)
    )
