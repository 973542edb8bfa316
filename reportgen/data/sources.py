"""Read CSV and YAML files while remembering where every value came from (file, line)."""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reportgen.data.numbers import MAX_MAGNITUDE
from reportgen.data.text import control_problem
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
    check_size(text, shown, MAX_CSV_CHARS, "CSV")
    lines = split_lines(text)
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

#: Limits on a YAML file (README, "Data formats"). The pure-Python parser reads about
#: 0.2 MB a second, so 1 MB bounds a parse to seconds; the largest sample file is 8 KB.
MAX_YAML_CHARS = 1_000_000
#: A CSV file may hold 20 MB: validation types each cell in Python (about 0.5 s a MB); the
#: largest sample table is 10 KB.
MAX_CSV_CHARS = 20_000_000
#: Lists and mappings may nest this deep (the sample data nest 5 deep); deeper input would
#: exhaust Python's recursion limit in the composer.
MAX_YAML_DEPTH = 100
#: Numbers must be below this in magnitude, as in CSV cells (reportgen.data.numbers).
MAX_YAML_NUMBER = MAX_MAGNITUDE
_NO_ANCHORS = "anchors and aliases are not accepted; write the value out"


class StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys and guesses less than YAML 1.1.

    Only ``true``/``false`` are booleans (``NO`` stays the string "NO"); only plain
    decimal numbers are numbers (``0123`` stays the string "0123", not octal 83), and they
    must be finite and below 1e15 in magnitude. Anchors and aliases are refused (an alias
    bomb expands to millions of nodes; the data never needs them), nesting is bounded and
    strings may not hold control characters.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        #: Key of each list or mapping being composed (None where there is none), outermost first.
        self.keys: list[str | None] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing anchors, aliases and nesting beyond MAX_YAML_DEPTH."""
        event = self.peek_event()
        line = event.start_mark.line + 1
        key: str | None
        if isinstance(index, yaml.ScalarNode):
            key = str(index.value)
        else:
            key = self.keys[-1] if self.keys else None
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(line, key, f"alias *{event.anchor}: {_NO_ANCHORS}")
        if getattr(event, "anchor", None) is not None:
            raise YamlRefused(line, key, f"anchor &{event.anchor}: {_NO_ANCHORS}")
        if not isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        if len(self.keys) >= MAX_YAML_DEPTH:
            raise YamlRefused(
                line, key, f"lists and mappings nested more than {MAX_YAML_DEPTH} deep"
            )
        self.keys.append(key)
        try:
            return super().compose_node(parent, index)
        finally:
            self.keys.pop()


StrictLoader.yaml_implicit_resolvers = {}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(true|false)$"), list("tf")
)
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789"))
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(null|~|)$"), ["n", "~", ""]
)


class YamlRefused(Exception):
    """Raised inside the loader for input it refuses; load_yaml_text turns it into a Problem.

    ``key`` is the mapping key the value belongs to, filled in by the innermost mapping.
    """

    def __init__(self, line: int, key: str | None, message: str):
        super().__init__(message)
        self.line, self.key, self.message = line, key, message


class YamlDuplicateKey(YamlRefused):
    """A key given twice in one mapping."""

    def __init__(self, key: str, line: int, first: int):
        super().__init__(
            line, key, f"duplicate key (first defined on line {first}); each key may appear once"
        )
        self.first = first


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
        try:
            result[key] = loader.construct_object(value_node, deep=True)
        except YamlRefused as exc:
            if exc.key is None:
                exc.key = key
            raise
        result.lines[key] = line
    return result


def _construct_sequence(loader: StrictLoader, node: yaml.SequenceNode) -> LocList:
    result = LocList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.line = node.start_mark.line + 1
    return result


def _number_refused(node: yaml.ScalarNode, value: float) -> None:
    """Refuse a YAML number that overflowed, underflowed to zero, or is too large for data."""
    text = node.value
    shown = text if len(text) <= 24 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"
    if not math.isfinite(value) or abs(value) >= MAX_YAML_NUMBER:
        message = (
            f"number {shown} is too large; expected a number below {MAX_YAML_NUMBER:,.0f} "
            "in magnitude"
        )
    elif value == 0 and re.search(r"[1-9]", text.lower().split("e")[0]):
        message = f"number {shown} is too close to zero to be held; expected 0 or a larger number"
    else:
        return
    raise YamlRefused(node.start_mark.line + 1, None, message)


def _construct_int(loader: StrictLoader, node: yaml.ScalarNode) -> int:
    digits = node.value.replace("_", "").lstrip("+-")
    if len(digits) > len(str(int(MAX_YAML_NUMBER))) - 1:  # 16 digits reach 1e15
        _number_refused(node, math.inf)
    return int(node.value.replace("_", ""))


def _construct_float(loader: StrictLoader, node: yaml.ScalarNode) -> float:
    value = float(node.value.replace("_", ""))
    _number_refused(node, value)
    return value


def _construct_str(loader: StrictLoader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    assert isinstance(value, str)
    problem = control_problem(value)
    if problem is not None:
        raise YamlRefused(node.start_mark.line + 1, None, problem)
    return value


StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
StrictLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)


_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def split_lines(text: str) -> list[str]:
    """Lines with their ends, split only at line feeds and carriage returns.

    str.splitlines also splits at a form feed, U+0085 or U+2028 inside a comment or a cell,
    which would make the rest of a comment the header and shift every line number.
    """
    return [line for line in _LINE_END.split(text) if line]


def check_size(text: str, shown: str, limit: int, kind: str) -> None:
    """Refuse a ``kind`` file longer than ``limit`` characters (MAX_YAML_CHARS, MAX_CSV_CHARS)."""
    if len(text) > limit:
        raise DataError(
            [
                Problem(
                    shown,
                    None,
                    None,
                    f"{len(text):,} characters; a {kind} file may hold at most {limit:,} "
                    f"characters ({limit / 1e6:g} MB)",
                )
            ]
        )


_KEY_ON_LINE = re.compile(r"^\s*(?:-\s+)?([^\s:#'\"][^:#]*?)\s*:(?:\s|$)")


def load_yaml_text(text: str, shown: str) -> Any:
    """Parse YAML text with StrictLoader, turning every failure into a located DataError."""
    check_size(text, shown, MAX_YAML_CHARS, "YAML")
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except YamlRefused as exc:
        raise DataError([Problem(shown, exc.line, exc.key, exc.message)]) from exc
    except yaml.reader.ReaderError as exc:
        # A character YAML forbids in a file (most control characters): locate it by line
        # and, when the line is "key: value", by key.
        line = text.count("\n", 0, exc.position) + 1
        found = _KEY_ON_LINE.match(text.split("\n")[line - 1])
        key = found.group(1) if found else None
        problem = control_problem(chr(exc.character)) if isinstance(exc.character, int) else None
        raise DataError(
            [Problem(shown, line, key, problem or f"invalid YAML: {exc.reason}")]
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = mark.line + 1 if mark is not None else None
        raise DataError([Problem(shown, at, None, f"invalid YAML: {exc.problem}")]) from exc
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
