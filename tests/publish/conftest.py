"""Registry fixtures: an SQLite registry URL, and a throwaway PostgreSQL server (initdb + pg_ctl)
with a fresh database per test. Skipped with the reason where PostgreSQL is not installed,
failing under CI=true (as tests/tools.py does for system tools)."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: A role that must log in with a password (scram), for the wrong-password test.
SECURED_USER = "secured"
SECURED_PASSWORD = "right-password"


def postgres_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: pg_config --bindir, the newest
    /usr/lib/postgresql/*/bin (Debian), or PATH."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            candidates.append(Path(done.stdout.strip()))

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version)][
        ::-1
    ]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """A running throwaway server: trust login for postgres over TCP on 127.0.0.1."""

    port: int
    socket_dir: Path
    counter: itertools.count

    def url(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        login = f"{user}:{password}" if password else user
        return f"postgresql+psycopg://{login}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement as postgres in the postgres database (autocommit)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def fresh_database(self) -> str:
        name = f"registry_test_{next(self.counter)}"
        self.admin(f"CREATE DATABASE {name}")
        return name


def _as_server_user(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as nobody then."""
    if os.geteuid() != 0:
        return args
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "nobody", "--", *args]
    return ["su", "-s", "/bin/sh", "nobody", "-c", " ".join(args)]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, stopped and removed at its end."""
    bindir = postgres_bindir()
    if bindir is None:
        reason = "PostgreSQL is not installed (Debian: postgresql); .ci/run installs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    # Not under pytest's tmp_path: its folders are private to root, the server runs as nobody.
    base = Path(tempfile.mkdtemp(prefix="reportgen-pg-"))
    data, sockets, log = base / "data", base / "sock", base / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        import pwd

        nobody = pwd.getpwnam("nobody")
        for path in (base, sockets):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
    init = subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ]
        ),
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, f"initdb failed: {init.stderr}"
    # The secured role logs in with a password over TCP; everyone else is trusted.
    (data / "pg_hba.conf").write_text(
        f"local all all trust\nhost all {SECURED_USER} 127.0.0.1/32 scram-sha-256\n"
        "host all all 127.0.0.1/32 trust\n",
        encoding="utf-8",
    )
    port = free_port()
    options = (
        f"-p {port} -k {sockets} -h 127.0.0.1 -F "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    start = subprocess.run(
        _as_server_user(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
        ),
        capture_output=True,
        text=True,
    )
    if start.returncode != 0:
        text = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed: {start.stderr}\n{text}")
    server = PostgresServer(port, sockets, itertools.count(1))
    try:
        server.admin(f"CREATE ROLE {SECURED_USER} LOGIN PASSWORD '{SECURED_PASSWORD}'")
        yield server
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def registry_url_postgres(postgres_server: PostgresServer) -> str:
    """A SQLAlchemy URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.url(postgres_server.fresh_database())


@pytest.fixture
def registry_url_sqlite(tmp_path: Path) -> str:
    """A SQLAlchemy URL of an SQLite file (absent until the registry is opened with create)."""
    return f"sqlite:///{tmp_path / 'registry' / 'registry.sqlite'}"
