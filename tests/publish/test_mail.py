"""Sending recipient copies through a real SMTP server (aiosmtpd on 127.0.0.1) and the real
SQLite registry: one message per recipient, refusals and outages retried, nothing sent twice."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from reportgen.errors import DataError
from reportgen.project import Project
from reportgen.publish import mail
from reportgen.publish.mail import INTERRUPTED, UNKNOWN, SmtpSettings, send_pending, smtp_settings
from reportgen.publish.model import RecipientCopy, Release
from reportgen.publish.registry import Registry, open_registry
from tests.publish.conftest import free_port

RELEASE = "2026-04-26-01"
PEOPLE = [
    ("Jane Doe", "Example Capital", "jane@example.com"),
    ("Li Wei", "", "li@example.org"),
    ("Ann Lee", "Fund AG", "ann@example.net"),
]


class Collect:
    """An SMTP handler keeping every accepted message; RCPT to ``refuse`` gets a 550."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.slow: set[str] = set()  # accepted, but answered after the client gave up

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        if self.slow & set(envelope.rcpt_tos):
            await asyncio.sleep(1.0)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Collect, int]]:
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def house(port: int) -> dict[str, Any]:
    return {
        "name": "Meridian Research",
        "smtp": {
            "host": "127.0.0.1",
            "port": port,
            "from": "research@example.com",
            "starttls": False,
        },
    }


def release() -> Release:
    return Release(
        release_id=RELEASE,
        slug="metax",
        report_type="initiation",
        title="MetaX: a title",
        report_date="2026-04-26",
        published_at="2026-04-26T09:00:00Z",
        user="analyst",
        analysts=("A Analyst",),
        reportgen_version="0",
        git_commit=None,
        inputs_digest="0" * 64,
        pdf_sha256="0" * 64,
        html_sha256="0" * 64,
        manifest_sha256="0" * 64,
        sample=True,
    )


@pytest.fixture
def published(tmp_path: Path) -> Iterator[tuple[Project, Registry, dict[str, bytes]]]:
    """A project with one release whose outbox holds three copies, recorded in the registry."""
    project = Project(tmp_path)
    registry = open_registry(project, {}, create=True)
    assert registry is not None
    registry.add_release(release())
    outbox = tmp_path / "releases" / "metax" / RELEASE / "outbox"
    outbox.mkdir(parents=True)
    files: dict[str, bytes] = {}
    copies = []
    for n, (name, firm, address) in enumerate(PEOPLE, start=1):
        data = b"%PDF-1.7 copy for " + address.encode()
        file = f"outbox/metax-{RELEASE}-{n:02d}.pdf"
        (tmp_path / "releases" / "metax" / RELEASE / file).write_bytes(data)
        files[address] = data
        copies.append(
            RecipientCopy(RELEASE, name, firm, address, file, hashlib.sha256(data).hexdigest())
        )
    registry.add_copies(copies)
    try:
        yield project, registry, files
    finally:
        registry.close()


def sent_to(handler: Collect) -> list[str]:
    return [rcpt for rcpts, _ in handler.messages for rcpt in rcpts]


def test_one_message_per_recipient_with_its_copy(smtp, published) -> None:
    handler, port = smtp
    project, registry, files = published
    said: list[str] = []
    assert send_pending(project, registry, house(port), said.append) == []
    assert sent_to(handler) == [p[2] for p in PEOPLE]
    for rcpts, raw in handler.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Subject"] == f"MetaX: a title (release {RELEASE})"
        assert message["To"].addresses[0].addr_spec == rcpts[0]
        (part,) = list(message.iter_attachments())
        assert part.get_filename() == f"metax-{RELEASE}.pdf"
        assert part.get_content() == files[rcpts[0]]
    assert all(c.sent_at and c.last_error is None for c in registry.copies())
    assert said == [f"sent metax-{RELEASE}-0{n}.pdf to {p[2]}" for n, p in enumerate(PEOPLE, 1)]
    # Everything is recorded as sent: a second run sends nothing.
    assert send_pending(project, registry, house(port), said.append) == []
    assert len(handler.messages) == 3


def test_refused_recipient_reported_and_retried_alone(smtp, published) -> None:
    handler, port = smtp
    project, registry, _ = published
    handler.refuse = {"li@example.org"}
    failures = send_pending(project, registry, house(port), lambda _: None)
    assert failures == ["li@example.org: refused by the server: 550 5.1.1 mailbox unavailable"]
    assert sent_to(handler) == ["jane@example.com", "ann@example.net"]
    state = {c.email: c for c in registry.copies()}
    assert state["li@example.org"].sent_at is None
    assert state["li@example.org"].last_error == (
        "refused by the server: 550 5.1.1 mailbox unavailable"
    )
    handler.refuse = set()
    assert send_pending(project, registry, house(port), lambda _: None) == []
    assert sent_to(handler) == ["jane@example.com", "ann@example.net", "li@example.org"]


def test_server_down_all_reported_then_sent(smtp, published) -> None:
    handler, port = smtp
    project, registry, _ = published
    down = house(free_port())  # nothing listens there
    failures = send_pending(project, registry, down, lambda _: None)
    assert [f.split(":", 1)[0] for f in failures] == [p[2] for p in PEOPLE]
    assert all("cannot reach 127.0.0.1:" in f for f in failures)
    assert all(c.sent_at is None and c.last_error for c in registry.copies())
    assert send_pending(project, registry, house(port), lambda _: None) == []
    assert sent_to(handler) == [p[2] for p in PEOPLE]


class CrashAfterAccept:
    """The registry of a run killed right after the server accepted the second copy."""

    def __init__(self, inner: Registry) -> None:
        self.inner = inner
        self.accepted = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def mark_sent(self, release_id: str, email: str, sent_at: str) -> None:
        self.accepted += 1
        if self.accepted == 2:
            raise KeyboardInterrupt  # killed between the server's acceptance and the record
        self.inner.mark_sent(release_id, email, sent_at)


def test_crash_between_accept_and_record_never_sends_twice(smtp, published) -> None:
    handler, port = smtp
    project, registry, _ = published
    with pytest.raises(KeyboardInterrupt):
        send_pending(project, CrashAfterAccept(registry), house(port), lambda _: None)
    assert sent_to(handler) == ["jane@example.com", "li@example.org"]
    failures = send_pending(project, registry, house(port), lambda _: None)
    assert len(failures) == 1 and failures[0].startswith(f"li@example.org: {INTERRUPTED}")
    assert sent_to(handler) == ["jane@example.com", "li@example.org", "ann@example.net"]
    # Once someone has checked that it did not arrive, it can be sent again on purpose.
    assert send_pending(project, registry, house(port), lambda _: None, True) == []
    assert sent_to(handler)[-1] == "li@example.org" and len(handler.messages) == 4


def test_connection_lost_during_data_never_sends_twice(smtp, published, monkeypatch) -> None:
    handler, port = smtp
    project, registry, _ = published
    monkeypatch.setattr(mail, "TIMEOUT", 0.3)
    handler.slow = {"li@example.org"}  # the server takes the message, the client times out
    failures = send_pending(project, registry, house(port), lambda _: None)
    assert failures[0].startswith(f"li@example.org: {UNKNOWN}: the connection was lost")
    assert failures[0].endswith("it is not sent again")
    assert failures[1].startswith("ann@example.net: ")  # not handed over: retried
    assert sent_to(handler) == ["jane@example.com", "li@example.org"]
    handler.slow = set()
    again = send_pending(project, registry, house(port), lambda _: None)
    assert len(again) == 1 and again[0].startswith(f"li@example.org: {UNKNOWN}")
    assert sent_to(handler) == ["jane@example.com", "li@example.org", "ann@example.net"]


def test_changed_or_missing_copy_not_sent(smtp, published) -> None:
    handler, port = smtp
    project, registry, _ = published
    outbox = project.root / "releases" / "metax" / RELEASE / "outbox"
    (outbox / f"metax-{RELEASE}-01.pdf").write_bytes(b"tampered")
    (outbox / f"metax-{RELEASE}-02.pdf").unlink()
    failures = send_pending(project, registry, house(port), lambda _: None)
    assert failures[0] == (
        f"jane@example.com: releases/metax/{RELEASE}/outbox/metax-{RELEASE}-01.pdf changed "
        "since it was stamped; not sent"
    )
    assert failures[1].startswith("li@example.org: cannot read")
    assert sent_to(handler) == ["ann@example.net"]


def test_no_smtp_sends_nothing(published) -> None:
    project, registry, _ = published
    assert send_pending(project, registry, {"name": "x"}, lambda _: None) == []
    assert all(c.sent_at is None and c.last_error is None for c in registry.copies())


def test_settings_read_password_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SMTP_TEST_PASSWORD", "s3cret")
    raw = {
        "smtp": {
            "host": "mail.example.com",
            "from": "r@example.com",
            "username": "r",
            "password_env": "SMTP_TEST_PASSWORD",
        }
    }
    settings = smtp_settings(raw, "data/house.yaml")
    assert settings == SmtpSettings("mail.example.com", 587, "r@example.com", True, "r", "s3cret")
    assert "s3cret" not in repr(settings)
    assert smtp_settings({}, "data/house.yaml") is None
    plain = {"smtp": {"host": "localhost", "from": "r@example.com", "starttls": False}}
    assert smtp_settings(plain, "h") == replace(
        SmtpSettings("localhost", 25, "r@example.com"), starttls=False
    )


def test_bad_settings_located(tmp_path: Path, monkeypatch) -> None:
    from reportgen.data.sources import read_yaml

    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    path = tmp_path / "house.yaml"
    path.write_text(
        "name: House\n"
        "smtp:\n"
        "  host: ''\n"
        "  port: 70000\n"
        "  from: not-an-address\n"
        "  starttls: 'yes'\n"
        "  username: me\n"
        "  password_env: NOT_SET_ANYWHERE\n"
        "  password: hunter2\n"
        "  tls: true\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        smtp_settings(read_yaml(path, "data/house.yaml"), "data/house.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "data/house.yaml:9: column 'smtp.password': a password is never read from the file: "
        "name an environment variable holding it in password_env",
        "data/house.yaml:10: column 'smtp.tls': unknown key; expected host, port, from, "
        "starttls, username, password_env",
        "data/house.yaml:3: column 'smtp.host': expected the server's host name, got ''",
        "data/house.yaml:6: column 'smtp.starttls': expected true or false, got 'yes'",
        "data/house.yaml:4: column 'smtp.port': expected a port number from 1 to 65535, got 70000",
        "data/house.yaml:5: column 'smtp.from': expected an e-mail address like "
        "name@example.com, found 'not-an-address'",
        "data/house.yaml:8: column 'smtp.password_env': the environment variable "
        "NOT_SET_ANYWHERE is not set",
    ]
    with pytest.raises(DataError, match="expected a mapping"):
        smtp_settings({"smtp": "mail.example.com"}, "data/house.yaml")
