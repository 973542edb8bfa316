"""Read CSV and YAML files while remembering where every value came from (file, line)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reportgen.deps import read_bytes
from reportgen.errors import DataError, Problem


@dataclass(frozen=True)
class RawRow:
    """One CSV record: its 1-based line number in the file and its cells by column name."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class RawTable:
    """A CSV file as read: header, rows with line numbers, and its leading '#' comments."""

    path: str
    header: tuple[str, ...]
    header_line: int
    rows: tuple[RawRow, ...]
    comments: tuple[str, ...] = field(default=())
    #: Records whose cell count differs from the header's; reported after header problems,
    #: since a wrong header makes every row look wrong.
    shape_problems: tuple[Problem, ...] = field(default=())


def read_csv(path: Path, shown: str) -> RawTable:
    """Read a CSV file; lines starting with '#' before the header are comments (source notes).

    Every cell stays a string: typing is the schema's job, never pandas' guesswork
    (so a ticker 'NA' stays 'NA' and '(1.20)' is parsed by a declared rule). The bytes are
    read once and hashed as read (deps.read_bytes), so the build records what it parsed.
    """
    # utf-8-sig: Excel's "CSV UTF-8" starts the file with a byte-order mark.
    text = decode_utf8(read_bytes(path), shown, "utf-8-sig")
    lines = text.splitlines(keepends=True)
    comments: list[str] = []
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        if lines[start].startswith("#"):
            comments.append(lines[start][1:].strip())
        start += 1
    if start >= len(lines):
        raise DataError([Problem(shown, None, None, "no header row: the file is empty")])
    reader = csv.reader(io.StringIO("".join(lines[start:])), strict=True)
    problems: list[Problem] = []
    shape: list[Problem] = []
    header: list[str] | None = None
    rows: list[RawRow] = []
    header_line = start + 1
    try:
        for record in reader:
            line = start + reader.line_num  # line where this record ends (1-based)
            if header is None:
                header = [h.strip() for h in record]
                header_line = line
                dupes = sorted({h for h in header if header.count(h) > 1})
                for d in dupes:
                    problems.append(Problem(shown, line, d, "column name appears twice"))
                continue
            if not record or all(not c.strip() for c in record):
                continue
            if len(record) != len(header):
                shape.append(
                    Problem(
                        shown,
                        line,
                        None,
                        f"expected {len(header)} cells as in the header, found {len(record)}",
                    )
                )
                continue
            rows.append(RawRow(line, dict(zip(header, (c.strip() for c in record), strict=True))))
    except csv.Error as exc:
        problems.append(Problem(shown, start + reader.line_num, None, f"malformed CSV: {exc}"))
    if problems:
        raise DataError(problems)
    assert header is not None
    return RawTable(shown, tuple(header), header_line, tuple(rows), tuple(comments), tuple(shape))


class LocDict(dict[str, Any]):
    """A mapping from YAML that remembers the line of each key (``lines[key]``)."""

    lines: dict[str, int]
    line: int


class LocList(list[Any]):
    """A sequence from YAML that remembers the line of each item (``lines[index]``)."""

    lines: list[int]
    line: int


_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(
    r"^[-+]?((0|[1-9][0-9_]*)\.[0-9]*([eE][-+]?[0-9]+)?|\.[0-9]+|(0|[1-9][0-9_]*)[eE][-+]?[0-9]+)$"
)


class StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys and guesses less than YAML 1.1.

    Only ``true``/``false`` are booleans (``NO`` stays the string "NO"); only plain
    decimal numbers are numbers (``0123`` stays the string "0123", not octal 83).
    """


StrictLoader.yaml_implicit_resolvers = {}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(true|false)$"), list("tf")
)
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789"))
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(null|~|)$"), ["n", "~", ""]
)


class YamlDuplicateKey(Exception):
    """Raised inside the loader; turned into a located Problem by read_yaml."""

    def __init__(self, key: str, line: int, first: int):
        self.key, self.line, self.first = key, line, first


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode) -> LocDict:
    result = LocDict()
    result.lines = {}
    result.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            raise YamlDuplicateKey(key, line, result.lines[key])
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_sequence(loader: StrictLoader, node: yaml.SequenceNode) -> LocList:
    result = LocList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.line = node.start_mark.line + 1
    return result


StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_yaml_text(text: str, shown: str) -> Any:
    """Parse YAML text with StrictLoader, turning every failure into a located DataError."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except YamlDuplicateKey as exc:
        raise DataError(
            [
                Problem(
                    shown,
                    exc.line,
                    exc.key,
                    f"duplicate key (first defined on line {exc.first}); each key may appear once",
                )
            ]
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise DataError([Problem(shown, line, None, f"invalid YAML: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise DataError([Problem(shown, None, None, f"invalid YAML: {exc}")]) from exc


def decode_utf8(data: bytes, shown: str, encoding: str = "utf-8") -> str:
    """The text of a file's bytes; a byte that is not UTF-8 is a DataError at its line."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(
            [
                Problem(
                    shown,
                    line,
                    None,
                    f"not UTF-8 text: byte {column} of the line is 0x{data[exc.start]:02x} "
                    f"({exc.reason}); save the file as UTF-8",
                )
            ]
        ) from exc


def read_yaml(path: Path, shown: str) -> Any:
    """Read a YAML file with StrictLoader (its bytes read once, hashed as read: deps)."""
    return load_yaml_text(decode_utf8(read_bytes(path), shown), shown)


def line_of(node: Any, key: str | int | None = None) -> int | None:
    """Line of a key (or list index) in a LocDict/LocList, or of the node itself."""
    if key is not None:
        lines = getattr(node, "lines", None)
        if isinstance(lines, dict) and key in lines:
            return lines[key]
        if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
            return lines[key]
    return getattr(node, "line", None)
