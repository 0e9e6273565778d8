"""Every failure a user can cause, mapped in one place to one message with what to do, and an exit code."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from ..domain.problems import Problem, errors
from ..imports.records import UnreadableFile
from ..publish.targets import PublishError
from ..render.mail import MailError
from ..render.site import BuildError
from ..render.templating import TemplateError, template_error
from ..render.tokens import SecretError
from ..workbook.port import UnsafeToWrite
from ..workbook.xlsx.grids import UnreadableWorkbook

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


class Refused(Exception):
    """A command will not act on a workbook with errors; `problems` lists them."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.problems = problems


class ImportFailed(Exception):
    """An import that wrote nothing: `items` names each problem by file and entry."""

    def __init__(self, message: str, items: tuple[str, ...] = (), unreadable: bool = True):
        super().__init__(message)
        self.items = items
        self.unreadable = unreadable


@dataclass(frozen=True)
class Failure:
    """What the front door shows when a command fails: the lines to print and the exit code."""

    lines: tuple[str, ...]
    exit_code: int

    @property
    def message(self) -> str:
        return "\n".join(self.lines)


_EXPECTED = (Refused, UnsafeToWrite, TemplateError, BuildError, PublishError, SecretError, MailError, FileExistsError)


def failure(exc: BaseException) -> Failure | None:
    """The message and exit code for a failure the user can act on; None for a bug (let it show)."""
    if isinstance(exc, UnreadableWorkbook | UnreadableFile):
        return Failure((f"ERROR: {exc}",), EXIT_UNREADABLE)
    if isinstance(exc, ImportFailed):
        return Failure(
            (*(f"  {item}" for item in exc.items), f"ERROR: {exc}"),
            EXIT_UNREADABLE if exc.unreadable else EXIT_PROBLEMS,
        )
    if isinstance(exc, jinja2.TemplateError):
        return Failure((f"ERROR: {template_error(exc)}",), EXIT_PROBLEMS)
    if isinstance(exc, _EXPECTED):
        problems = errors(list(getattr(exc, "problems", ())))
        return Failure((*(str(p) for p in problems), f"ERROR: {exc}"), EXIT_PROBLEMS)
    return None
