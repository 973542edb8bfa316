"""Sending recipient copies by e-mail, where house.yaml names an SMTP server.

A copy the registry records as sent is never sent again; the registry records the send as
soon as the server accepts the message. Delivery is at most once: a copy refused by the
server (at MAIL, RCPT or DATA) or never handed over (server unreachable, connection lost
before DATA) is recorded with its reason and retried on the next run. From the moment the
message body is handed over until its acceptance is recorded, the registry holds the note
UNKNOWN as the copy's last error; a run that dies in that window (or loses the connection
before the server's answer) leaves the note, and later runs report that copy instead of
sending it again (``resend_unknown=True`` sends it again once someone has checked that it
did not arrive). The Message-ID is the copy's hash, so a mail system can also recognise a
copy that was sent twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from reportgen.data.sources import line_of
from reportgen.errors import DataError, Problem
from reportgen.project import Project
from reportgen.publish.model import RELEASES_DIR, RecipientCopy, Release
from reportgen.publish.recipients import email_problem

#: Seconds to wait for the server at each step (connect, each command).
TIMEOUT = 10
#: The note a copy carries while the server may have it (module docstring): every note
#: starting with it means "perhaps delivered, not sent again".
UNKNOWN = "delivery unknown"
INTERRUPTED = f"{UNKNOWN}: handed to the SMTP server, but its answer was never recorded"
KEYS = ("host", "port", "from", "starttls", "username", "password_env")

Progress = Callable[[str], None]


class CopyRegistry(Protocol):
    """What send_pending needs of the release registry (publish/registry.py's Registry)."""

    def releases(self, slug: str | None = None) -> list[Release]: ...
    def copies(self, release_id: str | None = None) -> list[RecipientCopy]: ...
    def mark_sent(self, release_id: str, email: str, sent_at: str) -> None: ...
    def mark_failed(self, release_id: str, email: str, error: str) -> None: ...


@dataclass(frozen=True)
class SmtpSettings:
    """house.yaml `smtp:`; the password comes from the environment, never from the file."""

    host: str
    port: int
    sender: str
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def smtp_settings(house: Mapping[str, Any], shown: str) -> SmtpSettings | None:
    """The SMTP server house.yaml names (None without an `smtp:` key); a DataError locating
    every bad value (host, port 1-65535, from address, starttls true/false, username with
    password_env naming a set environment variable)."""
    raw = house.get("smtp")
    if raw is None:
        return None
    at = line_of(house, "smtp")
    if not isinstance(raw, Mapping):
        got = type(raw).__name__
        raise DataError(
            [Problem(shown, at, "smtp", f"expected a mapping of {', '.join(KEYS)}, got {got}")]
        )
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(shown, line_of(raw, key) or at, f"smtp.{key}", message))

    for key in raw:
        if key == "password":
            bad(
                key,
                "a password is never read from the file: name an environment variable "
                "holding it in password_env",
            )
        elif key not in KEYS:
            bad(str(key), f"unknown key; expected {', '.join(KEYS)}")
    host = raw.get("host")
    if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host.strip()):
        bad("host", f"expected the server's host name, got {host!r}")
    starttls = raw.get("starttls", True)
    if not isinstance(starttls, bool):
        bad("starttls", f"expected true or false, got {starttls!r}")
    port = raw.get("port", 587 if starttls is not False else 25)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        bad("port", f"expected a port number from 1 to 65535, got {port!r}")
    sender = raw.get("from")
    if not isinstance(sender, str):
        bad("from", f"expected the sender's e-mail address, got {sender!r}")
    elif (message := email_problem(sender)) is not None:
        bad("from", message)
    username = raw.get("username")
    password_env = raw.get("password_env")
    password = None
    if username is not None and (not isinstance(username, str) or not username.strip()):
        bad("username", f"expected a user name, got {username!r}")
    if password_env is not None:
        if not isinstance(password_env, str) or not password_env.strip():
            bad(
                "password_env",
                f"expected the name of an environment variable, got {password_env!r}",
            )
        elif username is None:
            bad("password_env", "a password needs a username")
        else:
            password = os.environ.get(password_env)
            if not password:
                bad("password_env", f"the environment variable {password_env} is not set")
    elif isinstance(username, str):
        bad(
            "username",
            "a username needs password_env, the environment variable holding the password",
        )
    if problems:
        raise DataError(problems)
    return SmtpSettings(
        host=host.strip(),  # type: ignore[union-attr]
        port=port,
        sender=sender,  # type: ignore[arg-type]
        starttls=starttls,
        username=username,
        password=password,
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def copy_path(
    project: Project, copy: RecipientCopy, releases: list[Release]
) -> tuple[Path, Release] | str:
    """The copy's file and its release, or why neither can be found (the copy's file name
    starts with its report's slug: publish/stamp.py copy_file_name)."""
    candidates = [r for r in releases if r.release_id == copy.release_id]
    name = PurePosixPath(copy.file).name
    matching = [r for r in candidates if name.startswith(f"{r.slug}-{copy.release_id}-")]
    chosen = matching or candidates
    if len(chosen) != 1:
        return f"no single release {copy.release_id} in the registry for {copy.file}"
    release = chosen[0]
    relative = PurePosixPath(copy.file)
    if relative.is_absolute() or ".." in relative.parts:
        return f"copy file {copy.file} is not inside its release folder"
    return project.root / RELEASES_DIR / release.slug / release.release_id / relative, release


def build_message(
    settings: SmtpSettings, copy: RecipientCopy, release: Release, data: bytes, house_name: str
) -> EmailMessage:
    """The e-mail for one copy: subject the report's title and release id, the PDF attached."""
    message = EmailMessage()
    message["From"] = formataddr((house_name, settings.sender)) if house_name else settings.sender
    message["To"] = formataddr((copy.name, copy.email))
    title = " ".join(release.title.split())  # one line: a header cannot hold a line break
    message["Subject"] = f"{title} (release {release.release_id})"
    domain = settings.sender.rsplit("@", 1)[1]
    message["Message-ID"] = f"<{copy.sha256[:40]}@{domain}>"
    message.set_content(
        f"Dear {copy.name},\n\nattached is {title}, release {release.release_id}, "
        f"prepared for you.\n\n{house_name}\n".rstrip()
        + "\n"
    )
    message.add_attachment(
        data,
        maintype="application",
        subtype="pdf",
        filename=f"{release.slug}-{release.release_id}.pdf",
    )
    return message


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    try:
        server.ehlo()
        if settings.starttls:
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        if settings.username is not None:
            server.login(settings.username, settings.password or "")
    except BaseException:
        server.close()
        raise
    return server


def _envelope(server: smtplib.SMTP, sender: str, recipient: str) -> None:
    """MAIL FROM and RCPT TO for one copy (what SMTP.sendmail does before DATA), so a refusal
    here is known to precede the hand-over of the message."""
    server.ehlo_or_helo_if_needed()
    code, answer = server.mail(sender)
    if code != 250:
        _reset(server)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    code, answer = server.rcpt(recipient)
    if code not in (250, 251):
        _reset(server)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})


def _reset(server: smtplib.SMTP) -> None:
    """RSET after a refusal, so the next copy starts a fresh transaction."""
    with contextlib.suppress(OSError, smtplib.SMTPException):
        server.rset()  # if the connection is lost, the next MAIL FROM reports it


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        ]
        return "refused by the server: " + "; ".join(codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else error
        return f"refused by the server: {exc.smtp_code} {text}"
    if isinstance(exc, TimeoutError):
        return f"no answer from the server within {TIMEOUT} s"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def send_pending(
    project: Project,
    registry: CopyRegistry,
    house: Mapping[str, Any],
    progress: Progress,
    resend_unknown: bool = False,
) -> list[str]:
    """Send every copy the registry has not recorded as sent; returns '<email>: <reason>' per
    copy not sent (refused, unreachable server, missing or changed file, or a send that was
    interrupted before it was recorded). Nothing is sent without an `smtp:` in house.yaml."""
    settings = smtp_settings(house, project.shown(project.house))
    if settings is None:
        return []
    failures: list[str] = []
    pending: list[tuple[RecipientCopy, Release, bytes]] = []
    releases = registry.releases()
    for copy in registry.copies():
        if copy.sent_at is not None:
            continue
        if (copy.last_error or "").startswith(UNKNOWN) and not resend_unknown:
            failures.append(
                f"{copy.email}: {copy.last_error} ({copy.file}); it may have been "
                "delivered, so it is not sent again"
            )
            continue
        found = copy_path(project, copy, releases)
        reason = found if isinstance(found, str) else None
        if isinstance(found, tuple):
            path, release = found
            try:
                data = path.read_bytes()
            except OSError as exc:
                reason = f"cannot read {project.shown(path)}: {exc.strerror or exc}"
            else:
                if hashlib.sha256(data).hexdigest() != copy.sha256:
                    reason = f"{project.shown(path)} changed since it was stamped; not sent"
                else:
                    pending.append((copy, release, data))
        if reason is not None:
            registry.mark_failed(copy.release_id, copy.email, reason)
            failures.append(f"{copy.email}: {reason}")
    if not pending:
        return failures
    try:
        server = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"cannot reach {settings.host}:{settings.port}: {_reason(exc)}"
        for copy, _, _ in pending:
            registry.mark_failed(copy.release_id, copy.email, reason)
            failures.append(f"{copy.email}: {reason}")
        return failures
    house_name = str(house.get("name") or "")
    try:
        for index, (copy, release, data) in enumerate(pending):
            message = build_message(settings, copy, release, data, house_name)
            flat = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
            try:
                _envelope(server, settings.sender, copy.email)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
                registry.mark_failed(copy.release_id, copy.email, _reason(exc))
                failures.append(f"{copy.email}: {_reason(exc)}")
                continue
            except (OSError, smtplib.SMTPException) as exc:
                # The connection is gone before this copy was handed over: it and the rest
                # wait for the next run.
                for later, _, _ in pending[index:]:
                    registry.mark_failed(later.release_id, later.email, _reason(exc))
                    failures.append(f"{later.email}: {_reason(exc)}")
                return failures
            registry.mark_failed(copy.release_id, copy.email, INTERRUPTED)
            try:
                server.data(flat)
            except smtplib.SMTPDataError as exc:  # the server answered: not accepted
                registry.mark_failed(copy.release_id, copy.email, _reason(exc))
                failures.append(f"{copy.email}: {_reason(exc)}")
                _reset(server)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                # Lost while the server had the message: perhaps delivered, never re-sent.
                lost = _reason(exc)
                note = f"{UNKNOWN}: the connection was lost before the server answered ({lost})"
                registry.mark_failed(copy.release_id, copy.email, note)
                failures.append(f"{copy.email}: {note}; it is not sent again")
                for later, _, _ in pending[index + 1 :]:
                    registry.mark_failed(later.release_id, later.email, _reason(exc))
                    failures.append(f"{later.email}: {_reason(exc)}")
                return failures
            registry.mark_sent(copy.release_id, copy.email, _now())
            progress(f"sent {PurePosixPath(copy.file).name} to {copy.email}")
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return failures
