"""Reminder e-mails: Markdown templates with YAML front matter, rendered to a subject, plain text and HTML.

Templates live in `templates/reminders/<lang>/<stage>.md`; a file with the same name in the `templates/`
folder next to the user's workbook overrides the built-in one (see portal.templating).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from numbers import Number
from pathlib import Path

import jinja2
import markdown
import yaml

from portal.templating import environment

STAGES = ("nudge", "reminder_1", "reminder_2", "formal_notice", "handover", "thank_you")
LANGUAGES = ("fr", "nl", "en", "de")
TONES = ("friendly", "neutral", "firm", "formal", "warm")
SUBJECT_MAX = 200

# C0/C1 controls except \t and \n (this also drops Python-Markdown's \x02/\x03 placeholders), and the
# bidi embedding/override/isolate controls that can make a name display the following text reversed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
_LINE_BREAKS = re.compile(r"\s*\n\s*")
# Markdown writes attributes double-quoted; only web and mail links survive (a template may put a value in a link).
_UNSAFE_LINK = re.compile(r'\b(href|src)="(?!https?:|mailto:)[^"]*"', re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


class TemplateError(ValueError):
    """A reminder template is missing, has bad front matter, or fails to render."""


@dataclass(frozen=True)
class Reminder:
    stage: str
    lang: str
    subject: str
    text: str  # the rendered Markdown source: readable as a plain-text e-mail
    html: str  # an HTML fragment, for the body of an HTML e-mail
    tone: str


def _clean(value: str) -> str:
    return _CONTROL.sub("", value)


def _escape_for_markdown_html(value: str) -> str:
    """A value that Markdown shows literally, on one line, and that cannot become HTML."""
    one_line = _LINE_BREAKS.sub(" ", _clean(value)).replace("\t", " ").strip()
    # Backslash-escape Markdown first: html.escape's entities contain '#' and must stay as they are.
    # '<', '>' and '&' are left to html.escape ('\&gt;' would show its backslash).
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", one_line))


class _Wrapped:
    """Gives the wrapped object's attributes and items with `convert` applied to every string in them."""

    __slots__ = ("_obj", "_convert", "_path")

    def __init__(self, obj, convert, path):
        self._obj, self._convert, self._path = obj, convert, path

    def __getattr__(self, name):
        try:
            value = getattr(self._obj, name)
        except AttributeError:
            if name.startswith("_"):  # Jinja probes e.g. __html__ with hasattr
                raise
            # What a template author can act on, rather than "'_Wrapped object' has no attribute".
            return jinja2.StrictUndefined(hint=f"{self._path!r} has no attribute {name!r}")
        return _convert_all(value, self._convert, f"{self._path}.{name}")

    def __getitem__(self, key):
        return _convert_all(self._obj[key], self._convert, f"{self._path}[{key!r}]")

    def __str__(self):
        return self._convert(str(self._obj))


def _convert_all(value, convert, path=""):
    if isinstance(value, str):
        return convert(value)
    if value is None or isinstance(value, Number):
        return value
    if isinstance(value, dict):
        return {k: _convert_all(v, convert, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_convert_all(v, convert, f"{path}[{i}]") for i, v in enumerate(value)]
    return _Wrapped(value, convert, path)


def render_reminder(stage: str, lang: str, context: dict, *, workbook: Path | None = None) -> Reminder:
    """Render one reminder; user templates next to `workbook` win over the built-in ones."""
    if stage not in STAGES:
        raise ValueError(f"unknown reminder stage {stage!r} (expected one of {', '.join(STAGES)})")
    if lang not in LANGUAGES:
        raise ValueError(f"unknown reminder language {lang!r} (expected one of {', '.join(LANGUAGES)})")
    env = environment(workbook, autoescape=False)
    name = f"reminders/{lang}/{stage}.md"
    try:
        source, filename, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"reminder template {name} not found") from None
    source = source.removeprefix("\ufeff").replace("\r\n", "\n")  # as saved by Windows Notepad

    front, body = _split_front_matter(source, filename)
    tone = front.get("tone", "neutral")
    if front.get("stage", stage) != stage:
        raise TemplateError(f"{filename}: front matter says stage {front['stage']!r}, expected {stage!r}")
    if tone not in TONES:
        raise TemplateError(f"{filename}: tone {tone!r} is not one of {', '.join(TONES)}")

    body_template = _compile(env, body, filename)
    subject_label = f"{filename}, front matter 'subject'"
    subject_template = _compile(env, front["subject"], subject_label)
    plain = _convert_all(context, _clean)
    escaped = _convert_all(context, _escape_for_markdown_html)

    subject = " ".join(_render(subject_template, plain, subject_label).split())
    if not subject:
        raise TemplateError(f"{subject_label}: the subject is empty")
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    text = _render(body_template, plain, filename).strip() + "\n"
    body_html = markdown.markdown(_render(body_template, escaped, filename), extensions=["tables", "sane_lists"])
    body_html = _UNSAFE_LINK.sub(r'\1="#"', body_html)
    return Reminder(stage, lang, subject, text, body_html, tone)


def _split_front_matter(source: str, filename: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(source)
    if not match:
        raise TemplateError(f"{filename}: missing front matter (a '---' line, 'subject: ...', then '---')")
    try:
        front = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        hint = " (a value containing '{{' must be in quotes)" if "{" in (match.group(1) or "") else ""
        raise TemplateError(f"{filename}: bad front matter{hint}: {exc}") from None
    if not isinstance(front, dict) or not isinstance(front.get("subject"), str) or not front["subject"].strip():
        raise TemplateError(f"{filename}: the front matter needs a 'subject' text")
    # Blank lines in place of the front matter keep Jinja's line numbers equal to the file's.
    return front, "\n" * match.group(0).count("\n") + source[match.end():]


def _compile(env: jinja2.Environment, source: str, filename: str) -> jinja2.Template:
    try:
        code = env.compile(source, filename=filename)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{filename}, line {exc.lineno}: {exc.message}") from None
    return env.template_class.from_code(env, code, env.make_globals(None))


def _render(template: jinja2.Template, context: dict, filename: str) -> str:
    try:
        return template.render(context)
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateError(f"{filename}{_line(exc, filename)}: {exc}") from exc


def _line(exc: Exception, filename: str) -> str:
    """', line N' from the traceback frames Jinja maps back to the template file, or ''."""
    lines = []
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            lines.append(tb.tb_lineno)
        tb = tb.tb_next
    return f", line {lines[-1]}" if lines else ""
