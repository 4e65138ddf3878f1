"""Import every domain's models so Alembic (and tests) see the whole schema."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "dieuhanh.domains.units.models",
    "dieuhanh.domains.auth.models",
    "dieuhanh.domains.indicators.models",
    "dieuhanh.domains.dashboards.models",
    "dieuhanh.domains.feedback.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
