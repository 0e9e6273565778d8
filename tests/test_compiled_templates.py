"""Templates compiled by one run are kept (in Jinja's per-user temporary folder) for the next: each
command is a new process, and compiling the site's templates takes about a fifth of a second."""

from __future__ import annotations

import os
import tempfile

import jinja2
import pytest

from portal.render import templating
from portal.render.reminders import ReminderTemplates

from .test_reminders import make_context


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()


def no_compiling(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_a_later_run_uses_the_compiled_pages_and_letters(tmp_path, monkeypatch):
    pages = ["site/invoice.html", "site/statement.html", "site/base.html", "site/_pay.html"]
    for name in pages:
        templating.environment(tmp_path).get_template(name)
    letter = ReminderTemplates(tmp_path).render("reminder_2", "fr", make_context(stage="reminder_2"))
    no_compiling(monkeypatch)
    assert [templating.environment(tmp_path).get_template(name).name for name in pages] == pages
    assert ReminderTemplates(tmp_path).render("reminder_2", "fr", make_context(stage="reminder_2")) == letter


def test_an_edited_template_is_compiled_again(tmp_path):
    (tmp_path / "templates").mkdir()
    mine = tmp_path / "templates" / "note.txt"
    mine.write_text("before {{ v }}")
    assert templating.environment(tmp_path).get_template("note.txt").render(v=1) == "before 1"
    mine.write_text("after {{ v }}")
    assert templating.environment(tmp_path).get_template("note.txt").render(v=1) == "after 1"


def test_environments_with_other_settings_do_not_share_compiled_code(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "note.txt").write_text("{{ v }}")
    for _ in range(2):  # the second time, each is read from what the first time kept
        assert templating.environment(tmp_path).get_template("note.txt").render(v="<b>") == "&lt;b&gt;"
        assert templating.environment(tmp_path, autoescape=False).get_template("note.txt").render(v="<b>") == "<b>"
        placed = templating.environment(tmp_path, autoescape=False, finalize=lambda v: f"[{v}]")
        assert placed.get_template("note.txt").render(v="<b>") == "[<b>]"


def test_a_temporary_folder_of_another_user_is_not_used(tmp_path):
    if os.getuid() != 0:
        pytest.skip("making a folder another user owns needs root (as CI runs)")
    planted = tmp_path / "tmp" / f"_jinja2-cache-{os.getuid()}"
    planted.mkdir()
    os.chown(planted, 4242, 4242)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "note.txt").write_text("{{ v }}")
    env = templating.environment(tmp_path)
    assert env.bytecode_cache is None
    assert env.get_template("note.txt").render(v=1) == "1" and list(planted.iterdir()) == []
