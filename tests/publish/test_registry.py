"""The release registry on SQLite and on a real PostgreSQL server; its errors; the history
snapshot the build reads (HISTORY_FILE) and `reportgen releases`."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportgen.data.sources import load_yaml_text
from reportgen.errors import DataError, ReportgenError
from reportgen.plan import Manifest, ReportRecord, code_hashes, make_plan, manifest_path
from reportgen.project import Project
from reportgen.publish.model import (
    DEFAULT_REGISTRY,
    HISTORY_FILE,
    CoveredCompany,
    Estimate,
    History,
    RecipientCopy,
    Release,
    release_id,
)
from reportgen.publish.registry import (
    RegistryError,
    mask_password,
    open_registry,
    registry_url,
    release_line,
)
from reportgen.publish.snapshot import ENV_VAR, check_registry_key, sync_history
from tests.conftest import run_cli
from tests.publish.conftest import SECURED_PASSWORD, SECURED_USER, PostgresServer, free_port

HOUSE = "name: House\ndisclaimer: [d]\ncertification: c\nratings: {}\n"


def make_project(root: Path, house: str = HOUSE, slugs: tuple[str, ...] = ("alpha",)) -> Project:
    """The smallest project the registry and the plan need: house.yaml and report folders."""
    (root / "templates").mkdir(parents=True)
    for slug in slugs:
        (root / "data" / "reports" / slug).mkdir(parents=True)
        (root / "data" / "reports" / slug / "report.yaml").write_text("type: company\n")
    (root / "data" / "house.yaml").write_text(house, encoding="utf-8")
    (root / "reportgen.yaml").write_text("name: Registry tests\n", encoding="utf-8")
    return Project(root)


def company(key: str = "alpha", target: float | None = 1850.0) -> CoveredCompany:
    return CoveredCompany(
        company=key,
        name=f"{key.title()} Technologies 寒武纪",
        ticker="688256 CH",
        rating="Overweight",
        price=1234.56,
        price_date="2026-04-24",
        price_target=target,
        currency="CNY",
        estimates=(
            Estimate("revenue", "2026E", 15234.7, "Rmb mn"),
            Estimate("net_profit", "2026E", -12.3, "Rmb mn"),
            Estimate("eps", "2026E", 0.1 + 0.2, "Rmb"),  # not representable in decimal
        ),
    )


def release(
    slug: str = "alpha",
    seq: int = 1,
    date: str = "2026-04-26",
    companies: tuple[CoveredCompany, ...] | None = None,
) -> Release:
    return Release(
        release_id=release_id(date, seq),
        slug=slug,
        report_type="company",
        title=f"{slug} initiation",
        report_date=date,
        published_at=f"{date}T09:00:{seq:02d}Z",
        user="analyst",
        analysts=("Jane Doe", "John Roe"),
        reportgen_version="0.1.0",
        git_commit=None if seq % 2 else "abc123",
        inputs_digest=f"inputs-{slug}-{seq}",
        pdf_sha256="p" * 64,
        html_sha256="h" * 64,
        manifest_sha256="m" * 64,
        sample=True,
        companies=(company(slug), company("omega", None)) if companies is None else companies,
    )


def copy(rid: str, email: str, n: int = 1) -> RecipientCopy:
    return RecipientCopy(rid, f"Reader {n}", "Fund", email, f"outbox/alpha-{n}.pdf", "s" * 64)


@pytest.fixture(params=["sqlite", "postgres"])
def registry_url_any(request: pytest.FixtureRequest) -> str:
    """Every backend: the SQLite file and the real PostgreSQL server."""
    return request.getfixturevalue(f"registry_url_{request.param}")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "project")


def open_url(project: Project, url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV_VAR, url)
    registry = open_registry(project, {}, create=True)
    assert registry is not None
    return registry


def test_releases_round_trip_and_order(project, registry_url_any, monkeypatch):
    with open_url(project, registry_url_any, monkeypatch) as reg:
        assert reg.releases() == [] and reg.latest("alpha") is None
        assert reg.history() == History()
        assert reg.next_sequence("alpha", "2026-04-26") == 1
        first = release()
        reg.add_release(first)
        assert reg.releases() == [first]  # every field, companies and estimates, floats exact
        assert reg.latest("alpha") == first
        # Ids are the registry's key: another report of the same date takes the next number.
        assert reg.next_sequence("beta", "2026-04-26") == 2
        assert reg.next_sequence("alpha", "2026-05-01") == 1
        second = release("beta", 2, companies=())
        older = release("alpha", 1, date="2026-03-01")
        reg.add_release(second)
        reg.add_release(older)
        assert reg.releases() == [older, first, second]  # report date, then time
        assert reg.releases("alpha") == [older, first]
        assert reg.releases("nosuch") == []
        assert reg.latest("alpha") == first
        assert reg.history() == History((older, first, second))
        assert reg.url_shown.split(":")[0] in registry_url_any


def test_add_release_is_one_transaction(project, registry_url_any, monkeypatch):
    with open_url(project, registry_url_any, monkeypatch) as reg:
        reg.add_release(release())
        with pytest.raises(RegistryError, match="2026-04-26-01 is already recorded"):
            reg.add_release(release("other"))
        # The same company twice: the companies insert fails, so the release row goes too.
        broken = release("beta", 2, companies=(company("gamma"), company("gamma")))
        with pytest.raises(RegistryError, match="cannot record release 2026-04-26-02 of beta"):
            reg.add_release(broken)
        assert [r.release_id for r in reg.releases()] == ["2026-04-26-01"]
        assert reg.next_sequence("beta", "2026-04-26") == 2


def test_copies(project, registry_url_any, monkeypatch):
    with open_url(project, registry_url_any, monkeypatch) as reg:
        reg.add_release(release())
        rid = "2026-04-26-01"
        reg.add_copies([copy(rid, "b@example.com", 1), copy(rid, "a@example.com", 2)])
        assert [c.email for c in reg.copies()] == ["b@example.com", "a@example.com"]
        reg.mark_failed(rid, "a@example.com", "550 mailbox unavailable")
        reg.mark_sent(rid, "b@example.com", "2026-04-26T10:00:00Z")
        # Recorded again (a rerun): kept as they are, sent state included; a new one appended.
        reg.add_copies([copy(rid, "b@example.com", 1), copy(rid, "c@example.com", 3)])
        got = reg.copies(rid)
        assert [(c.email, c.sent_at, c.last_error) for c in got] == [
            ("b@example.com", "2026-04-26T10:00:00Z", None),
            ("a@example.com", None, "550 mailbox unavailable"),
            ("c@example.com", None, None),
        ]
        assert got[0] == dataclasses.replace(
            copy(rid, "b@example.com", 1), sent_at="2026-04-26T10:00:00Z"
        )
        reg.mark_sent(rid, "a@example.com", "2026-04-26T11:00:00Z")
        assert reg.copies(rid)[1].last_error is None
        assert reg.copies("2026-01-01-01") == []
        with pytest.raises(RegistryError, match="no such copy"):
            reg.mark_sent(rid, "nobody@example.com", "2026-04-26T10:00:00Z")
        with pytest.raises(RegistryError, match="cannot record recipient copies"):
            reg.add_copies([copy("2026-01-01-01", "a@example.com")])  # no such release
        assert len(reg.copies()) == 3


def test_reopened_registry_keeps_everything(project, registry_url_any, monkeypatch):
    with open_url(project, registry_url_any, monkeypatch) as reg:
        reg.add_release(release())
        reg.add_copies([copy("2026-04-26-01", "a@example.com")])
    again = open_registry(project, {})  # tables exist: nothing is made again
    assert again is not None
    with again:
        assert again.releases() == [release()]
        assert len(again.copies()) == 1


def test_default_registry_is_made_only_on_create(project):
    path = project.root / DEFAULT_REGISTRY
    assert registry_url({}, "data/house.yaml") is None
    assert open_registry(project, {}) is None
    assert not path.parent.exists()
    with open_registry(project, {}, create=True) as reg:
        assert reg.url_shown == f"sqlite:///{DEFAULT_REGISTRY}"
        reg.add_release(release())
    assert path.is_file()
    with open_registry(project, {}) as reg:
        assert reg.releases() == [release()]


def test_url_from_house_and_environment(project, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    house = load_yaml_text("registry:\n  url: sqlite:///team/reg.sqlite\n", "data/house.yaml")
    assert registry_url(house, "data/house.yaml") == "sqlite:///team/reg.sqlite"
    with open_registry(project, house, create=True) as reg:  # relative: to the project root
        reg.add_release(release())
    assert (project.root / "team" / "reg.sqlite").is_file()
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert registry_url(house, "data/house.yaml") == f"sqlite:///{tmp_path / 'env.sqlite'}"
    assert open_registry(project, house) is None  # the env file does not exist yet


def test_unreachable_server_fails_fast_with_password_masked(project, monkeypatch):
    port = free_port()  # nothing listens there
    monkeypatch.setenv(ENV_VAR, f"postgresql+psycopg://ana:s3cret@127.0.0.1:{port}/research")
    start = time.monotonic()
    with pytest.raises(RegistryError) as caught:
        open_registry(project, {})
    assert time.monotonic() - start < 5
    (problem,) = caught.value.problems
    assert problem.path == ENV_VAR
    assert f"postgresql+psycopg://ana:***@127.0.0.1:{port}/research" in problem.message
    assert "s3cret" not in str(caught.value)


def test_unreachable_server_located_in_house_yaml(project, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    port = free_port()
    text = f"name: x\nregistry:\n  url: postgresql+psycopg://ana:pw@127.0.0.1:{port}/r\n"
    house = load_yaml_text(text, "data/house.yaml")
    with pytest.raises(RegistryError) as caught:
        open_registry(project, house)
    (problem,) = caught.value.problems
    assert (problem.path, problem.line, problem.column) == ("data/house.yaml", 3, "registry.url")
    assert "ana:***@" in problem.message and ":pw@" not in problem.message


def test_wrong_password(project, postgres_server: PostgresServer, monkeypatch):
    url = postgres_server.url("postgres", SECURED_USER, "wrong-guess")
    monkeypatch.setenv(ENV_VAR, url)
    with pytest.raises(RegistryError, match="password authentication failed") as caught:
        open_registry(project, {})
    assert "wrong-guess" not in str(caught.value) and SECURED_PASSWORD not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nosuchdb://host/db", "unknown database driver"),
        ("postgresql+nosuchdriver://host/db", "unknown database driver"),
        ("not a url", "not a database URL"),
        (
            "mysql+mysqldb://u:pw@host/db",
            "driver for mysql+mysqldb://u:***@host/db is not installed",
        ),
    ],
)
def test_bad_urls(project, monkeypatch, url, expected):
    monkeypatch.setenv(ENV_VAR, url)
    with pytest.raises(RegistryError) as caught:
        open_registry(project, {})
    assert expected in str(caught.value)
    assert ":pw@" not in str(caught.value)


def test_corrupt_sqlite_file(project):
    path = project.root / DEFAULT_REGISTRY
    path.parent.mkdir()
    path.write_bytes(b"this is not an SQLite database, just bytes " * 100)
    with pytest.raises(RegistryError, match="cannot open the release registry") as caught:
        open_registry(project, {})
    assert caught.value.problems[0].path == DEFAULT_REGISTRY


def test_mask_password():
    assert (
        mask_password("postgresql+psycopg://u:p@h:5432/d") == "postgresql+psycopg://u:***@h:5432/d"
    )
    assert mask_password("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("registry: [a, b]\n", 2, "registry", "expected a mapping"),
        ("registry:\n  url: 42\n", 3, "registry.url", "got int"),
        ("registry:\n  url: 'localhost/db'\n", 3, "registry.url", "expected a database URL"),
        ("registry:\n  host: x\n", 2, "registry.url", "required key is missing"),
        ("registry:\n  url: sqlite:///a\n  pool: 3\n", 4, "registry.pool", "unknown key"),
    ],
)
def test_malformed_registry_key_is_located(project, text, line, column, message, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    house = load_yaml_text("name: x\n" + text, "data/house.yaml")
    problems = [p for p in check_registry_key(house, "data/house.yaml") if p.column == column]
    assert problems and problems[0].line == line and message in problems[0].message
    with pytest.raises(RegistryError):
        open_registry(project, house)


def test_malformed_registry_key_fails_the_house_load_and_the_cli(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    from reportgen.build import load_house

    project = make_project(tmp_path / "p", HOUSE + "registry:\n  url: [x]\n")
    with pytest.raises(DataError) as caught:
        load_house(project)
    assert "data/house.yaml:6: column 'registry.url'" in str(caught.value)
    result = run_cli(["releases"], project.root)
    assert result.exit_code == 2
    assert "data/house.yaml:6: column 'registry.url'" in result.output
    assert "Traceback" not in result.output


def write_fake_manifest(project: Project, slug: str) -> None:
    """A last build of ``slug`` that read HISTORY_FILE while it was absent."""
    record = ReportRecord(inputs={HISTORY_FILE: ""}, code=code_hashes()[0], outputs={})
    Manifest(reports={slug: record}).save(manifest_path(project))


def history_reasons(project: Project) -> list[str]:
    plan = make_plan(project)
    return [r for r in plan.stale.get("alpha", []) if HISTORY_FILE in r]


def test_sync_history_writes_only_on_change(project):
    target = project.root / HISTORY_FILE
    assert sync_history(project) is False  # no registry, no history: nothing made
    assert not target.exists() and not (project.root / "releases").exists()
    assert not (project.root / ".reportgen-cache").exists()
    with open_registry(project, {}, create=True) as reg:
        assert sync_history(project) is True  # an empty registry: an empty history
        assert History.from_bytes(target.read_bytes()) == History()
        reg.add_release(release())
        assert sync_history(project) is True
        stat = target.stat()
        assert sync_history(project) is False
        assert (target.stat().st_ino, target.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
        assert History.from_bytes(target.read_bytes()) == History((release(),))
    target.write_bytes(b"edited by hand")  # not the registry's: written again
    assert sync_history(project) is True
    assert History.from_bytes(target.read_bytes()) == History((release(),))
    (project.root / DEFAULT_REGISTRY).unlink()
    assert sync_history(project) is True  # the registry is gone: so is its history
    assert not target.exists()


def test_snapshot_bytes_are_deterministic(tmp_path):
    one, two = make_project(tmp_path / "one"), make_project(tmp_path / "two")
    releases = [release(), release("beta", 2), release("alpha", 1, date="2026-03-01")]
    for project, order in ((one, releases), (two, releases[::-1])):
        with open_registry(project, {}, create=True) as reg:
            for r in order:
                reg.add_release(r)
        sync_history(project)
    data = (one.root / HISTORY_FILE).read_bytes()
    assert data == (two.root / HISTORY_FILE).read_bytes()
    assert History.from_bytes(data).to_bytes() == data


def test_plan_sees_a_new_release(project):
    write_fake_manifest(project, "alpha")
    assert history_reasons(project) == []
    with open_registry(project, {}, create=True) as reg:
        reg.add_release(release())
    assert history_reasons(project) == [f"{HISTORY_FILE}: changed"]


def plan_imports_sqlalchemy(project: Project) -> bool:
    """Whether planning ``project`` in a fresh interpreter imports SQLAlchemy."""
    code = (
        "import sys; from pathlib import Path; from reportgen.plan import make_plan;"
        "from reportgen.project import Project;"
        f"make_plan(Project(Path({str(project.root)!r})));"
        "print('sqlalchemy' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True"


def test_plan_stays_light(project):
    """No registry, or an unchanged default one: planning imports no SQLAlchemy (status
    stays fast); a changed registry is opened and read."""
    assert not plan_imports_sqlalchemy(project)
    with open_registry(project, {}, create=True) as reg:
        reg.add_release(release())
    assert plan_imports_sqlalchemy(project)  # new bytes: read
    assert not plan_imports_sqlalchemy(project)  # same bytes: the history stands
    with open_registry(project, {}) as reg:
        reg.add_release(release("beta", 2))
    assert plan_imports_sqlalchemy(project)
    assert len(History.from_bytes((project.root / HISTORY_FILE).read_bytes()).releases) == 2


def test_cli_releases(project, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    result = run_cli(["releases"], project.root)
    assert result.exit_code == 0 and result.output == "no releases yet\n"
    with open_registry(project, {}, create=True) as reg:
        reg.add_release(release())
        reg.add_release(release("alpha", 1, date="2026-03-01", companies=()))
    result = run_cli(["releases"], project.root)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["2026-03-01-01", "2026-04-26-01"]
    assert lines[1] == release_line(release())
    assert "Overweight, target 1,850.00 CNY" in lines[1] and "no target" in lines[1]
    assert "published 2026-04-26T09:00:01Z by analyst" in lines[1]
    assert run_cli(["releases", "alpha"], project.root).output.count("\n") == 2
    unknown = run_cli(["releases", "nosuch"], project.root)
    assert unknown.exit_code == 0 and "no releases of nosuch" in unknown.output
    (project.root / "data" / "reports" / "gamma").mkdir()
    (project.root / "data" / "reports" / "gamma" / "report.yaml").write_text("type: company\n")
    assert run_cli(["releases", "gamma"], project.root).output == "no releases of gamma yet\n"


def test_cli_unreachable_registry_exits_2(project, monkeypatch):
    monkeypatch.setenv(ENV_VAR, f"postgresql+psycopg://u:pw@127.0.0.1:{free_port()}/d")
    result = run_cli(["releases"], project.root)
    assert result.exit_code == 2
    assert "u:***@" in result.output and ":pw@" not in result.output
    status = run_cli(["status"], project.root)  # every plan reads the registry first
    assert status.exit_code == 2 and "u:***@" in status.output


def test_registry_error_is_a_reportgen_error():
    assert issubclass(RegistryError, ReportgenError)
