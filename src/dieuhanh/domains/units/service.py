"""Units service (stub)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass
class LoadReport:
    units: int = 0

    def summary(self) -> str:
        return f"{self.units} units"


def load_reference_data(
    *, db: Session, home_province: str, progress: Callable[[str, int, int], None] | None = None
) -> LoadReport:
    return LoadReport()
