"""Where templates come from: the user's `templates/` folder first, the built-in ones second."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import jinja2

from ..domain.problems import UserError

PACKAGE_DIR = Path(__file__).resolve().parent.parent


class TemplateError(UserError, ValueError):
    """A template (a page, a reminder text, the words file) cannot be used; the message names the file and line."""


def template_error(exc: jinja2.TemplateError) -> TemplateError:
    """A Jinja error as one line naming the template file and line and what is wrong."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = f"{exc.filename or exc.name or 'a template'}, line {exc.lineno}"
        what = exc.message
    else:
        frames = []
        tb = exc.__traceback__
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename
            if name.endswith((".html", ".md", ".css", ".txt", ".yml")):
                frames.append(f"{name}, line {tb.tb_lineno}")
            tb = tb.tb_next
        where, what = (frames[-1] if frames else "a template"), str(exc)
    return TemplateError(f"{where}: {what}. Correct the template, or delete your copy to use the built-in one.")


def builtin_templates_dir() -> Path:
    """The built-in templates: inside the installed package, or the checkout's top-level folder."""
    for candidate in (PACKAGE_DIR / "templates", PACKAGE_DIR.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("The built-in templates folder is missing: reinstall debtor-portal.")


def user_templates_dir(folder: Path | None) -> Path | None:
    """The `templates/` folder in the workbook's folder, when there is one."""
    if folder is None:
        return None
    templates = Path(folder).resolve() / "templates"
    return templates if templates.is_dir() else None


def source(env: jinja2.Environment, name: str) -> tuple[str, str]:
    """(text, file name) of a template, the user's copy first."""
    assert env.loader is not None  # `environment` always gives one
    text, filename, _ = env.loader.get_source(env, name)
    return text, filename or name


def environment(
    folder: Path | None = None, *, autoescape: bool = True, finalize: Callable[..., object] | None = None
) -> jinja2.Environment:
    """A Jinja2 environment that looks in the user's folder, then in the built-in one.

    Undefined variables are errors, so a template with a typo fails loudly instead of
    sending a debtor a reminder with a hole in it. `finalize` is applied to every value printed.
    """
    folders = [d for d in (user_templates_dir(folder), builtin_templates_dir()) if d is not None]
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in folders]),
        autoescape=autoescape,
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # a template does not change while a site is built
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_compiled(autoescape, finalize),
    )


def _compiled(autoescape: bool, finalize: Callable[..., object] | None) -> jinja2.BytecodeCache | None:
    """Templates compiled by an earlier run, in Jinja's own per-user temporary folder: compiling the site's
    templates takes about a fifth of a second, and each run of a command is a new process. A template is
    compiled again when its text changes; the file names tell the environment's settings apart, since they
    shape the compiled code. None when that folder cannot be used (then every run compiles)."""
    settings = (jinja2.__version__, autoescape, f"{finalize.__module__}.{finalize.__qualname__}" if finalize else "")
    tag = hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
    try:
        return jinja2.FileSystemBytecodeCache(pattern=f"debtor-portal-{tag}-%s.cache")
    except (OSError, RuntimeError):  # RuntimeError: the folder is another user's, or open to others
        return None
