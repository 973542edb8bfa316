"""The recipients file: every problem located (file:line: column: message), nothing else read."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import DataError
from reportgen.publish.recipients import Recipient, email_problem, read_recipients

FONTS = Path(__file__).resolve().parents[2] / "reportgen" / "templates" / "fonts"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "recipients.csv"
    path.write_bytes(text.encode(encoding))
    return path


def messages(path: Path, fonts: Path | None = None) -> list[str]:
    with pytest.raises(DataError) as caught:
        read_recipients(path, "recipients.csv", fonts)
    return [str(p) for p in caught.value.problems]


def test_reads_rows_in_order_with_bom_and_quotes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name,firm,email\r\nJane Doe,Example Capital,jane@example.com\r\n"
        '"Li, Wei",,wei.li@fund.example.org\r\n\r\n',
        "utf-8-sig",
    )
    assert read_recipients(path, "recipients.csv", FONTS) == [
        Recipient("Jane Doe", "Example Capital", "jane@example.com"),
        Recipient("Li, Wei", "", "wei.li@fund.example.org"),
    ]


def test_columns_in_any_order(tmp_path: Path) -> None:
    path = write(tmp_path, "email,name,firm\njane@example.com,Jane Doe,Example Capital\n")
    assert read_recipients(path, "r.csv") == [
        Recipient("Jane Doe", "Example Capital", "jane@example.com")
    ]


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert messages(tmp_path / "absent.csv") == [
        "recipients.csv: file not found: the recipients (name,firm,email)"
    ]
    assert messages(tmp_path) == [
        "recipients.csv: a folder, not a file: the recipients (name,firm,email)"
    ]


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    assert messages(write(tmp_path, "")) == ["recipients.csv: no header row: the file is empty"]
    assert messages(write(tmp_path, "name,firm,email\n")) == [
        "recipients.csv:1: no recipients below the header"
    ]


def test_missing_and_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "name,e-mail,phone\nJane,jane@example.com,1\n")
    assert messages(path) == [
        "recipients.csv:1: column 'firm': required column is missing",
        "recipients.csv:1: column 'email': required column is missing",
        "recipients.csv:1: column 'e-mail': unknown column; expected exactly name, firm, email",
        "recipients.csv:1: column 'phone': unknown column; expected exactly name, firm, email",
    ]


def test_every_row_problem_located(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name,firm,email\n"
        ",Example Capital,a@example.com\n"  # 2: empty name
        "Bob,Firm,bob@@example.com\n"  # 3: malformed
        "Carol,Firm,A@Example.com\n"  # 4: same address as line 2, other case
        "Dan\x07,Firm,dan@example\n"  # 5: control character, no top-level domain
        "Eve,Firm\n"  # 6: one cell short
        "Fay,Firm,\n",  # 7: empty e-mail
    )
    assert messages(path) == [
        "recipients.csv:2: column 'name': expected the recipient's name, found an empty cell",
        "recipients.csv:3: column 'email': expected an e-mail address like name@example.com, "
        "found 'bob@@example.com'",
        "recipients.csv:4: column 'email': 'A@Example.com' is also on line 2: one copy per address",
        "recipients.csv:5: column 'name': control character U+0007 not allowed (only tab and "
        "line breaks are)",
        "recipients.csv:5: column 'email': expected an e-mail address like name@example.com, "
        "found 'dan@example'",
        "recipients.csv:6: expected 3 cells as in the header, found 2",
        "recipients.csv:7: column 'email': expected an e-mail address, found an empty cell",
    ]


def test_line_break_in_quoted_cell_and_missing_glyph(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'name,firm,email\n"Jane\nDoe",X,jane@example.com\nMyanmar \u1000,X,s@example.com\n',
    )
    found = messages(path, FONTS)
    assert found[0] == (
        "recipients.csv:3: column 'name': tab or line break not allowed in a recipient's cell"
    )
    assert found[1].startswith("recipients.csv:4: column 'name': character")
    assert "has no glyph" in found[1]


def test_overlong_name(tmp_path: Path) -> None:
    path = write(tmp_path, f"name,firm,email\n{'N' * 61},X,n@example.com\n")
    assert messages(path) == [
        "recipients.csv:2: column 'name': 61 characters; at most 60 fit the copy's stamp line"
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "name,firm,email\nJos\xe9,X,j@example.com\n", "latin-1")
    assert messages(path)[0].startswith("recipients.csv:2: not UTF-8 text")


@pytest.mark.parametrize(
    "address",
    ["jane.doe+reports@mail.example.co.uk", "o'brien@example.ie", "x@a-b.example"],
)
def test_plain_addresses_pass(address: str) -> None:
    assert email_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "jane",
        "jane@",
        "@example.com",
        "jane doe@example.com",
        ".jane@example.com",
        "jane..doe@example.com",
        "jane@example..com",
        "jane@-example.com",
        "jane@example.c0m1",
        "jane@[127.0.0.1]",
        '"jane"@example.com',
        "jané@example.com",
        "jane@example.com\n",
        "Jane <jane@example.com>",
    ],
)
def test_malformed_addresses_refused(address: str) -> None:
    assert email_problem(address) is not None
