"""One site secret per workbook, beside it: the same links from any computer or user account; publish
refuses a site whose links would replace the ones already sent, unless the secret was rotated on purpose."""

from __future__ import annotations

import json
import shutil
import stat
from datetime import date
from pathlib import Path

import pytest

from portal.app import build, errors, publish
from portal.front import cli
from portal.render import tokens
from portal.workbook.file import FileWorkbook
from portal.workbook.port import state_dir

TODAY = date(2026, 11, 16)


@pytest.fixture
def workbook(small_copy: Path, monkeypatch) -> Path:
    monkeypatch.delenv(tokens.SECRET_ENV, raising=False)
    return small_copy


def _user(monkeypatch, home: Path) -> Path:
    """Another user account: its own home and config folder."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home / ".config" / "debtor-portal" / tokens.SECRET_FILE


def _build(path: Path) -> build.BuildOutcome:
    return build.build(FileWorkbook(path), today=TODAY, out_dir=path.parent / "site_out")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_workbook_gives_the_same_links_under_another_user_account(workbook, tmp_path, monkeypatch):
    _user(monkeypatch, tmp_path / "alice")
    first = _build(workbook)
    site = _files(workbook.parent / "site_out")
    secret_file = state_dir(workbook.parent) / tokens.SECRET_FILE
    assert first.site.secret_created == str(secret_file)
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    _user(monkeypatch, tmp_path / "bob")
    again = _build(workbook)
    assert _files(workbook.parent / "site_out") == site
    assert {n: p.token for n, p in again.site.invoice_pages.items()} == {
        n: p.token for n, p in first.site.invoice_pages.items()
    }
    assert not (tmp_path / "alice" / ".config" / "debtor-portal").exists()


def test_a_user_level_secret_of_an_older_version_moves_beside_the_workbook_once(workbook, tmp_path, monkeypatch):
    legacy = _user(monkeypatch, tmp_path / "alice")
    legacy.parent.mkdir(parents=True)
    legacy.write_text("L" * 52 + "\n")
    old = tokens.Secret(b"L" * 52, str(legacy))
    moved = _build(workbook)
    assert moved.secret_moved == str(legacy) and not moved.site.secret_created
    assert (state_dir(workbook.parent) / tokens.SECRET_FILE).read_text().strip() == "L" * 52
    assert all(p.token == tokens.token(old, "i", n) for n, p in moved.site.invoice_pages.items())
    assert _build(workbook).secret_moved == ""


def test_the_environment_variable_still_overrides(workbook, tmp_path, monkeypatch):
    _user(monkeypatch, tmp_path / "ci")
    monkeypatch.setenv(tokens.SECRET_ENV, "E" * 40)
    done = _build(workbook)
    assert all(
        p.token == tokens.token(tokens.Secret(b"E" * 40, ""), "i", n) for n, p in done.site.invoice_pages.items()
    )
    assert not (state_dir(workbook.parent) / tokens.SECRET_FILE).exists()


def _publish(path: Path, target: Path) -> publish.PublishOutcome:
    return publish.publish(FileWorkbook(path), site_dir=path.parent / "site_out", to=str(target))


def test_the_manifest_and_the_publish_state_record_the_secrets_fingerprint_not_the_secret(
    workbook, tmp_path, monkeypatch
):
    _user(monkeypatch, tmp_path / "alice")
    _build(workbook)
    _publish(workbook, tmp_path / "www")
    key = tokens.workbook_secret(workbook.parent)
    manifest = json.loads((state_dir(workbook.parent) / build.MANIFEST).read_text())
    assert manifest["secret_fingerprint"] == key.fingerprint
    recorded = (state_dir(workbook.parent) / "published-secrets.json").read_text()
    assert key.fingerprint in recorded and key.key.decode() not in recorded + json.dumps(manifest)


def test_publish_refuses_a_site_built_with_another_secret_until_it_is_rotated_on_purpose(
    workbook, tmp_path, monkeypatch, capsys
):
    _user(monkeypatch, tmp_path / "alice")
    target = tmp_path / "www"
    _build(workbook)
    _publish(workbook, target)
    published = _files(target)

    secret_file = state_dir(workbook.parent) / tokens.SECRET_FILE
    secret_file.unlink()  # the state folder did not come along (another PC, a sync that skips dot folders)
    _build(workbook)
    with pytest.raises(errors.Refused, match="published with another site secret"):
        _publish(workbook, target)
    assert _files(target) == published
    assert cli.main(["publish", str(workbook), "--to", str(target)]) == errors.EXIT_PROBLEMS
    assert "secret rotate" in capsys.readouterr().err

    assert cli.main(["secret", "rotate", str(workbook), "--yes"]) == 0
    said = capsys.readouterr().out
    assert "Every private link changes" in said and "stop working" in said
    with pytest.raises(errors.Refused, match="another site secret than this workbook's"):
        _publish(workbook, target)  # built before the rotation
    _build(workbook)
    done = _publish(workbook, target)
    assert done.plan.removed and _files(target) != published


def test_secret_where_names_the_file_beside_the_workbook(workbook, capsys):
    assert cli.main(["secret", "where", str(workbook)]) == 0
    assert capsys.readouterr().out.strip() == str(state_dir(workbook.parent) / tokens.SECRET_FILE)
    shutil.rmtree(state_dir(workbook.parent), ignore_errors=True)


def test_what_an_earlier_version_recorded_of_a_publish_is_still_read(tmp_path):
    """Before 'encrypted' was kept, a target's record was the secret's fingerprint alone."""
    import json

    from portal.app import secret
    from portal.workbook.port import state_dir

    folder = state_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / secret.PUBLISHED).write_text(json.dumps({"www": "abc123"}))
    assert secret.published_with(tmp_path, "www") == "abc123"
    assert secret.published_encrypted(tmp_path, "www") is None
    secret.record_published(tmp_path, "www", "def456", True)
    assert (secret.published_with(tmp_path, "www"), secret.published_encrypted(tmp_path, "www")) == ("def456", True)
