"""How a long task (a build, a publish, an import) says how far it is."""

from collections.abc import Callable

Progress = Callable[[int, int, str], None]  # (done, total, what is being done)
