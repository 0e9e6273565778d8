"""Money: Decimal amounts rounded half-up to the cent at the edges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def cents(amount: Decimal) -> Decimal:
    """The amount rounded half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
