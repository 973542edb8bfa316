"""The release PDF carries its evidence: the data files the report read and its provenance,
embedded as PDF/A-3 associated files (catalog /AF), in a file of the same bytes every time."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import pikepdf

#: What PDF/A-3 calls the relationship of an attached file to the document.
SOURCE = "Source"  # what the document was written from: its definition, prose, house settings
DATA = "Data"  # what its numbers came from: data tables, provenance

#: MIME types by suffix (a fixed table, not the machine's mimetypes database: same bytes anywhere).
MIME_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
}
#: The file name the provenance map is attached under.
PROVENANCE_NAME = "provenance.json"


@dataclass(frozen=True)
class Attachment:
    """One file to embed: its name in the PDF (a project-relative path), bytes and role."""

    name: str
    data: bytes
    relationship: str  # SOURCE or DATA
    description: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def mime_type(name: str) -> str:
    """'data/x/company.yaml' -> 'application/yaml'; unknown suffixes are octet streams."""
    return MIME_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def relationship_of(name: str) -> str:
    """Report definitions, prose and the house file are the document's source; tables are data."""
    return SOURCE if name.startswith("data/reports/") or name == "data/house.yaml" else DATA


def pdf_date(date: dt.date) -> str:
    """A PDF date string for midnight UTC of ``date`` (the report's date: no clock in the file)."""
    return f"D:{date:%Y%m%d}000000Z"


def pdfa_part(pdf: pikepdf.Pdf) -> tuple[str | None, str | None]:
    """(pdfaid:part, pdfaid:conformance) as the PDF's XMP metadata declares them."""
    meta = pdf.open_metadata()
    part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    return (str(part) if part is not None else None, str(conformance) if conformance else None)


def attach(pdf_bytes: bytes, files: Sequence[Attachment], date: dt.date) -> bytes:
    """The PDF with ``files`` embedded (names tree and catalog /AF), everything else kept:
    its XMP metadata, document information and pages. Same inputs, same bytes."""
    stamp = pdf_date(date)
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        specs = []
        for item in sorted(files, key=lambda f: f.name):
            spec = pikepdf.AttachedFileSpec(
                pdf,
                item.data,
                description=item.description,
                filename=item.name,
                mime_type=mime_type(item.name),
                creation_date=stamp,
                mod_date=stamp,
                # pikepdf's stub omits the argument its constructor takes and documents
                relationship=pikepdf.Name("/" + item.relationship),  # type: ignore[call-arg]
            )
            pdf.attachments[item.name] = spec
            specs.append(pdf.attachments[item.name].obj)
        pdf.Root.AF = pikepdf.Array(specs)
        out = io.BytesIO()
        # deterministic_id: the file identifier is a hash of the content, not of the clock.
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def attached(pdf_bytes: bytes) -> dict[str, bytes]:
    """Every embedded file of a PDF by name (what verify compares with the manifest)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}


def af_names(pdf_bytes: bytes) -> list[str]:
    """The file names the catalog's /AF array lists (PDF/A-3 associated files)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        listed = pdf.Root.get("/AF", pikepdf.Array())
        return [str(spec.get("/UF", spec.get("/F", ""))) for spec in listed]
