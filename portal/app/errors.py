"""Every failure a user can cause (a `UserError` raised where it happens, or a template's error), mapped in one
place to one message with what to do, and an exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ..domain.problems import Problem, Unreadable, UserError, errors

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


class Refused(UserError):
    """A command will not act on a workbook with errors; `problems` lists them."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.problems = problems


class ImportFailed(UserError):
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


def failure(exc: BaseException) -> Failure | None:
    """The message and exit code for a failure the user can act on; None for a bug (let it show)."""
    if isinstance(exc, Unreadable):
        return Failure((f"ERROR: {exc}",), EXIT_UNREADABLE)
    if isinstance(exc, ImportFailed):
        return Failure(
            (*(f"  {item}" for item in exc.items), f"ERROR: {exc}"),
            EXIT_UNREADABLE if exc.unreadable else EXIT_PROBLEMS,
        )
    # jinja2 is loaded by whatever renders a template: a command that did not cannot fail in one
    jinja = sys.modules.get("jinja2")
    if jinja is not None and isinstance(exc, jinja.TemplateError):
        from ..render.templating import template_error

        return Failure((f"ERROR: {template_error(exc)}",), EXIT_PROBLEMS)
    if isinstance(exc, UserError | FileExistsError):
        problems = errors(list(getattr(exc, "problems", ())))
        return Failure((*(str(p) for p in problems), f"ERROR: {exc}"), EXIT_PROBLEMS)
    return None
