"""Component packs (hợp phần): finding them, reading their ``pack.yaml``, syncing them.

A component is a folder with a ``pack.yaml`` declaring::

    component: {code: socioeconomic, name_vi: ..., name_en: ...}
    dimensions: [...]        # disaggregation dimensions and their categories
    indicators: [...]        # catalog entries (see ``indicators.schemas.PackIndicator``)
    validation_rules: [...]  # left operator right, with a missing-value strategy
    dashboards: [...]        # dashboards and their widgets (see ``dashboards.schemas``)
    feedback_categories: [...]  # citizen report categories (see ``feedback.schemas``)

Later issues add sections (event types, case categories, connectors). Sections
this version does not know are ignored (and listed in ``LoadedPack.ignored``) so an older
installation can read a newer pack; the sections it knows are validated strictly, and a
broken pack is reported by file, indicator and field, never half loaded.

**Where packs come from.** Built-in packs are the folders ``dieuhanh/components/*/`` that
hold a ``pack.yaml``. Third-party packs, and a province's own, are Python distributions that
declare an entry point in the group ``dieuhanh.components``::

    # pyproject.toml of the package "dieuhanh-quangngai"
    [project.entry-points."dieuhanh.components"]
    quangngai = "dieuhanh_quangngai"        # a package whose folder holds pack.yaml

The entry point may name a package or module (its folder's ``pack.yaml`` is read), or an
object that is (or returns, when called) the path of a ``pack.yaml`` or of its folder. After
``pip install`` the pack loads exactly like a built-in one; ``dieuhanh components sync``
writes it into the catalog.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import Schema
from dieuhanh.core.security import Actor
from dieuhanh.domains.dashboards import service as dashboards
from dieuhanh.domains.dashboards.schemas import DashboardIn
from dieuhanh.domains.feedback import service as feedback
from dieuhanh.domains.feedback.schemas import CategoryIn, CategorySyncReport
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.indicators.schemas import (
    CatalogPack,
    DimensionIn,
    PackIndicator,
    PackRule,
    Slug,
    SyncReport,
)

ENTRY_POINT_GROUP = "dieuhanh.components"
BUILTIN_DIR = Path(__file__).resolve().parent
PACK_FILE = "pack.yaml"


class ComponentInfo(Schema):
    code: Slug
    name_vi: str = Field(min_length=2, max_length=255)
    name_en: str = Field(min_length=2, max_length=255)
    description_vi: str = ""
    description_en: str = ""


class PackFile(BaseModel):
    """A ``pack.yaml``: known sections strict, unknown sections tolerated."""

    model_config = ConfigDict(extra="allow")

    component: ComponentInfo
    dimensions: list[DimensionIn] = Field(default_factory=list)
    indicators: list[PackIndicator] = Field(default_factory=list)
    validation_rules: list[PackRule] = Field(default_factory=list)
    dashboards: list[DashboardIn] = Field(default_factory=list)
    feedback_categories: list[CategoryIn] = Field(default_factory=list)


@dataclass(frozen=True)
class LoadedPack:
    """A validated pack and where it came from."""

    info: ComponentInfo
    path: Path
    origin: str  # "builtin" or "entry point <name>"
    catalog: CatalogPack
    ignored: tuple[str, ...] = field(default=())
    dashboards: tuple[DashboardIn, ...] = field(default=())
    feedback_categories: tuple[CategoryIn, ...] = field(default=())

    @property
    def code(self) -> str:
        return self.info.code


def _pack_error(path: Path, entries: list[dict[str, Any]]) -> ProblemError:
    return ProblemError("invalid_pack", detail=f"{path} is not a valid pack", errors=entries)


def _located(path: Path, raw: Any, loc: Sequence[str | int], message: str) -> dict[str, Any]:
    """``file``, the indicator (or rule, dimension) named by code when it has one, ``field``."""
    entry: dict[str, Any] = {"file": str(path), "location": [str(p) for p in loc]}
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw, dict):
        section, index = str(loc[0]), loc[1]
        items = raw.get(section)
        item = items[index] if isinstance(items, list) and index < len(items) else None
        code = item.get("code") if isinstance(item, dict) else None
        key = {
            "indicators": "indicator",
            "validation_rules": "rule",
            "dashboards": "dashboard",
            "feedback_categories": "category",
        }.get(section, "item")
        entry[key] = str(code) if code else f"{section}[{index}]"
        entry["field"] = ".".join(str(p) for p in loc[2:])
    else:
        entry["field"] = ".".join(str(p) for p in loc)
    entry["message"] = message
    return entry


def read_pack_file(path: Path) -> tuple[PackFile, tuple[str, ...], dict[str, Any]]:
    """Parse and validate one ``pack.yaml``; ``invalid_pack`` with every problem otherwise."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _pack_error(path, [{"file": str(path), "message": str(exc)}]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        entry: dict[str, Any] = {"file": str(path), "message": str(exc).splitlines()[0]}
        if mark is not None:
            entry["line"] = mark.line + 1
            entry["column"] = mark.column + 1
        raise _pack_error(path, [entry]) from exc
    if not isinstance(raw, dict):
        raise _pack_error(path, [{"file": str(path), "message": "a pack is a YAML mapping"}])
    try:
        pack = PackFile.model_validate(raw)
    except ValidationError as exc:
        entries = [
            _located(path, raw, err["loc"], err["msg"]) for err in exc.errors(include_url=False)
        ]
        raise _pack_error(path, entries) from exc
    ignored = tuple(sorted(set(raw) - set(PackFile.model_fields)))
    return pack, ignored, raw


def load_pack(path: Path, origin: str = "builtin") -> LoadedPack:
    """One pack from its ``pack.yaml`` (or the folder holding it)."""
    if path.is_dir():
        path = path / PACK_FILE
    pack, ignored, _raw = read_pack_file(path)
    catalog = CatalogPack(
        code=pack.component.code,
        name_vi=pack.component.name_vi,
        name_en=pack.component.name_en,
        dimensions=pack.dimensions,
        indicators=pack.indicators,
        validation_rules=pack.validation_rules,
    )
    dashboards = tuple(
        d.model_copy(update={"component": pack.component.code}) for d in pack.dashboards
    )
    return LoadedPack(
        info=pack.component,
        path=path,
        origin=origin,
        catalog=catalog,
        ignored=ignored,
        dashboards=dashboards,
        feedback_categories=tuple(pack.feedback_categories),
    )


def builtin_pack_paths() -> list[Path]:
    return sorted(BUILTIN_DIR.glob(f"*/{PACK_FILE}"))


def _entry_point_path(target: Any) -> Path:
    if isinstance(target, ModuleType):
        if target.__file__ is None:
            raise ValueError(f"{target.__name__} has no folder")
        return Path(target.__file__).resolve().parent
    if callable(target):
        target = target()
    return Path(target)


def entry_point_packs() -> list[LoadedPack]:
    """Packs declared by installed distributions in the ``dieuhanh.components`` group."""
    packs = []
    for entry in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        origin = f"entry point {entry.name}"
        try:
            path = _entry_point_path(entry.load())
        except Exception as exc:  # a broken plug-in is reported, not a crash of the loader
            error = {"file": entry.value, "message": f"{origin} cannot be loaded: {exc}"}
            raise ProblemError("invalid_pack", detail=origin, errors=[error]) from exc
        packs.append(load_pack(path, origin=origin))
    return packs


def check_together(packs: Iterable[LoadedPack]) -> None:
    """What no single file can check: codes unique across packs, shared dimensions equal."""
    errors: list[dict[str, Any]] = []
    components: dict[str, LoadedPack] = {}
    indicators_seen: dict[str, LoadedPack] = {}
    dimensions: dict[str, tuple[LoadedPack, DimensionIn]] = {}
    categories: dict[str, LoadedPack] = {}
    for pack in packs:
        for category in pack.feedback_categories:
            if category.code in categories:
                other = categories[category.code].path
                errors.append(
                    {"file": str(pack.path), "category": category.code, "field": "code",
                     "message": f"{category.code} is also declared in {other}"}
                )  # fmt: skip
            categories[category.code] = pack
        if pack.code in components:
            other = components[pack.code].path
            errors.append(
                {"file": str(pack.path), "field": "component.code",
                 "message": f"component {pack.code} is also declared in {other}"}
            )  # fmt: skip
        components[pack.code] = pack
        for item in pack.catalog.indicators:
            if item.code in indicators_seen:
                other = indicators_seen[item.code].path
                errors.append(
                    {"file": str(pack.path), "indicator": item.code, "field": "code",
                     "message": f"{item.code} is also declared in {other}"}
                )  # fmt: skip
            indicators_seen[item.code] = pack
        for dimension in pack.catalog.dimensions:
            if dimension.code in dimensions and dimensions[dimension.code][1] != dimension:
                other = dimensions[dimension.code][0].path
                errors.append(
                    {"file": str(pack.path), "field": f"dimensions.{dimension.code}",
                     "message": f"dimension {dimension.code} differs from the one in {other}"}
                )  # fmt: skip
            dimensions.setdefault(dimension.code, (pack, dimension))
    if errors:
        raise ProblemError("invalid_pack", detail="packs conflict", errors=errors)


def discover(*, entry_points: bool = True, paths: Iterable[Path] = ()) -> list[LoadedPack]:
    """Built-in packs, then installed plug-ins, then any extra ``paths``; checked together."""
    packs = [load_pack(path) for path in builtin_pack_paths()]
    if entry_points:
        packs.extend(entry_point_packs())
    packs.extend(load_pack(Path(path), origin="path") for path in paths)
    check_together(packs)
    return packs


def sync(
    *,
    db: Session,
    actor: Actor,
    home_province: str,
    packs: Sequence[LoadedPack] | None = None,
    with_dashboards: bool = True,
) -> SyncReport:
    """Write the packs (default: every discovered one) into the indicator catalog, then
    their dashboards (unless ``with_dashboards`` is off: the CLI reports them separately)."""
    chosen = discover() if packs is None else list(packs)
    check_together(chosen)
    report = indicators.sync_packs(
        db=db, actor=actor, packs=[p.catalog for p in chosen], home_province=home_province
    )
    sync_categories(db=db, actor=actor, packs=chosen)
    if with_dashboards:
        sync_dashboards(db=db, actor=actor, packs=chosen)
    return report


def sync_categories(
    *, db: Session, actor: Actor, packs: Sequence[LoadedPack] | None = None
) -> CategorySyncReport:
    """Write the packs' report categories (citizen feedback), each under its component."""
    chosen = discover() if packs is None else list(packs)
    total = CategorySyncReport(created=[], updated=[], unchanged=[], kept_local=[])
    for pack in chosen:
        if not pack.feedback_categories:
            continue
        part = feedback.sync_pack_categories(
            db=db, actor=actor, component=pack.code, categories=pack.feedback_categories
        )
        total.created += part.created
        total.updated += part.updated
        total.unchanged += part.unchanged
        total.kept_local += part.kept_local
    return total


def sync_dashboards(
    *, db: Session, actor: Actor, packs: Sequence[LoadedPack] | None = None
) -> dashboards.DashboardSyncReport:
    """Write the packs' dashboards (after their indicators: widgets name indicator codes)."""
    chosen = discover() if packs is None else list(packs)
    return dashboards.sync_pack_dashboards(
        db=db, actor=actor, dashboards=[d for p in chosen for d in p.dashboards]
    )
