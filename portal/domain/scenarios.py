"""The built-in reminder ladders: days from the due date at which each stage is due."""

from __future__ import annotations

from .ledger import ScenarioStep
from .stages import LADDER, Channel

_LADDERS = {
    "gentle": (-5, 7, 21, 45, 75),
    "standard": (-3, 3, 14, 30, 60),
    "strict": (-3, 1, 10, 20, 35),
}

BUILTIN_STEPS: tuple[ScenarioStep, ...] = tuple(
    ScenarioStep(scenario=name, stage=stage, offset_days=offset, template=stage, channel=Channel.EMAIL)
    for name, offsets in _LADDERS.items()
    for stage, offset in zip(LADDER, offsets)
)
