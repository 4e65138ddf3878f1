"""Component packs: the real pack validates, broken packs say where, sync is idempotent and
versioned, removed indicators are retired, local edits survive, plug-ins load by entry point."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session

from dieuhanh.components import registry
from dieuhanh.core import expressions
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas import IndicatorPatch
from tests.fixtures.indicators import CATALOG_ACTOR, make_indicator

REAL_PACK = registry.BUILTIN_DIR / "socioeconomic" / "pack.yaml"


def real_pack_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(REAL_PACK.read_text(encoding="utf-8"))
    return data


def write_pack(folder: Path, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pack.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def indicator(data: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in data["indicators"] if i["code"] == code)
    return found


def sync(session: Session, *paths: Path, home: str = "48") -> Any:
    packs = [registry.load_pack(p) for p in paths]
    return registry.sync(db=session, actor=CATALOG_ACTOR, home_province=home, packs=packs)


def invalid_pack(exc: pytest.ExceptionInfo[ProblemError]) -> list[dict[str, Any]]:
    assert exc.value.code == "invalid_pack"
    return exc.value.errors


# --- loading (no database) -------------------------------------------------------------------


def test_the_feedback_pack_ships_its_categories() -> None:
    (pack,) = [p for p in registry.discover(entry_points=False) if p.code == "feedback"]
    codes = [c.code for c in pack.feedback_categories]
    assert codes[:3] == ["trat-tu-do-thi", "moi-truong-ve-sinh", "an-toan-thuc-pham"]
    assert len(codes) == len(set(codes)) == 9
    assert [i.code for i in pack.catalog.indicators][:2] == [
        "FEEDBACK_RECEIVED",
        "FEEDBACK_ANSWERED",
    ]


def test_the_socioeconomic_pack_validates() -> None:
    packs = {p.code: p for p in registry.discover(entry_points=False)}
    assert sorted(packs) == ["feedback", "socioeconomic"]
    pack = packs["socioeconomic"]
    assert (pack.code, pack.origin, pack.ignored) == ("socioeconomic", "builtin", ())
    assert pack.info.name_vi == "Kinh tế - xã hội"
    items = {i.code: i for i in pack.catalog.indicators}
    assert len(items) == 24
    assert {"GRDP", "GRDP_GROWTH", "IIP", "CPI", "BUDGET_REVENUE", "POPULATION"} <= set(items)
    for item in items.values():
        if item.agg_units == "wavg":
            assert item.weight_indicator in items, item.code
        if item.formula:
            assert expressions.parse(item.formula).codes() <= set(items), item.code
        assert item.owner_agency, item.code
        assert "." not in item.owner_agency, "owners are portable suffixes"
    # the statistics office's names and units
    assert items["RETAIL_SALES"].name_vi == (
        "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng"
    )
    assert (items["POVERTY_RATE"].weight_indicator, items["POVERTY_RATE"].direction) == (
        "HOUSEHOLDS",
        "down",
    )
    assert items["POPULATION"].disaggregations == ["sex", "area"]
    assert items["PUBLIC_INVESTMENT_DISBURSEMENT_RATE"].cadence == "decree09_month"
    rules = {r.code for r in pack.catalog.validation_rules}
    assert "POPULATION_SEX_TOTAL" in rules


def test_a_broken_pack_names_file_indicator_and_field(tmp_path: Path) -> None:
    data = real_pack_data()
    indicator(data, "CPI")["agg_units"] = "median"
    indicator(data, "GRDP")["decimals"] = 12
    del indicator(data, "IIP")["weight_indicator"]
    data["validation_rules"][0]["operator"] = "=~"
    path = write_pack(tmp_path / "broken", data)
    with pytest.raises(ProblemError) as exc:
        registry.load_pack(path)
    found = {(e.get("indicator") or e.get("rule"), e["field"]): e for e in invalid_pack(exc)}
    assert set(found) == {
        ("CPI", "agg_units"),
        ("GRDP", "decimals"),
        ("IIP", "weight_indicator"),
        ("POPULATION_SEX_TOTAL", "operator"),
    }
    assert all(e["file"] == str(path) for e in found.values())
    assert "wavg" in found[("CPI", "agg_units")]["message"]
    assert "weighted average" in found[("IIP", "weight_indicator")]["message"]


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text("component:\n  code: x\n  name_vi: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProblemError) as exc:
        registry.load_pack(path)
    (entry,) = invalid_pack(exc)
    assert entry["file"] == str(path)
    assert entry["line"] == 4


def test_unknown_sections_are_ignored_known_ones_strict(tmp_path: Path) -> None:
    data = real_pack_data()
    data["connectors"] = [{"code": "gso"}]
    data["event_types"] = []
    pack = registry.load_pack(write_pack(tmp_path / "future", data))
    assert pack.ignored == ("connectors", "event_types")
    indicator(data, "CPI")["colour"] = "red"  # inside a known section: a typo, refused
    with pytest.raises(ProblemError) as exc:
        registry.load_pack(write_pack(tmp_path / "typo", data))
    assert [(e["indicator"], e["field"]) for e in invalid_pack(exc)] == [("CPI", "colour")]


def test_pack_dashboards_are_validated_by_widget(tmp_path: Path) -> None:
    """Dashboards are a known section now: a broken widget refuses the pack, by field."""
    data = real_pack_data()
    board = data["dashboards"][0]
    board["widgets"][0]["x"] = 11  # w 3: sticks out of the 12-column grid
    with pytest.raises(ProblemError) as exc:
        registry.load_pack(write_pack(tmp_path / "wide", data))
    found = [(e["dashboard"], e["field"]) for e in invalid_pack(exc)]
    assert found == [("kinh-te-xa-hoi", "widgets.0.kpi")]


def test_packs_must_not_collide(tmp_path: Path) -> None:
    other = {
        "component": {"code": "tourism", "name_vi": "Du lịch", "name_en": "Tourism"},
        "dimensions": [
            {"code": "sex", "name_vi": "Giới", "name_en": "Sex",
             "categories": [{"code": "m", "name_vi": "Nam", "name_en": "Male"}]},
        ],
        "indicators": [indicator(real_pack_data(), "TOURIST_ARRIVALS")],
    }  # fmt: skip
    packs = [registry.load_pack(REAL_PACK), registry.load_pack(write_pack(tmp_path / "t", other))]
    with pytest.raises(ProblemError) as exc:
        registry.check_together(packs)
    fields = sorted(e["field"] for e in invalid_pack(exc))
    assert fields == ["code", "dimensions.sex"]


def test_third_party_packs_load_through_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real distribution on sys.path (dist-info + entry_points.txt), as pip installs it."""
    package = tmp_path / "dieuhanh_quangngai"
    write_pack(
        package,
        {
            "component": {"code": "quangngai", "name_vi": "Quảng Ngãi", "name_en": "Quang Ngai"},
            "indicators": [
                {"code": "SEA_CATCH", "name_vi": "Sản lượng khai thác thủy sản",
                 "name_en": "Marine catch", "sector": "fisheries", "agg_units": "sum",
                 "agg_time": "sum", "cadence": "month", "owner_agency": "SNNMT"},
            ],
        },
    )  # fmt: skip
    (package / "__init__.py").write_text("", encoding="utf-8")
    dist = tmp_path / "dieuhanh_quangngai-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: dieuhanh-quangngai\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[dieuhanh.components]\nquangngai = dieuhanh_quangngai\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        packs = registry.discover()
    finally:
        sys.modules.pop("dieuhanh_quangngai", None)
    assert [(p.code, p.origin) for p in packs] == [
        ("feedback", "builtin"),
        ("socioeconomic", "builtin"),
        ("quangngai", "entry point quangngai"),
    ]
    assert packs[2].path == package / "pack.yaml"
    assert [i.code for i in packs[2].catalog.indicators] == ["SEA_CATCH"]


# --- synchronising (both databases) ----------------------------------------------------------


def test_sync_is_idempotent(session: Session) -> None:
    report = sync(session, REAL_PACK)
    assert report.created == report.updated == report.deactivated == report.kept_local == []
    assert len(report.unchanged) == 24
    assert report.rules_created == report.rules_updated == report.rules_deactivated == []
    assert report.dimensions == []
    assert service.get_indicator(db=session, code="GRDP").version == 1


def test_changed_definitions_are_new_versions(session: Session, tmp_path: Path) -> None:
    data = real_pack_data()
    indicator(data, "CPI")["deadline_workdays"] = 7
    indicator(data, "CPI")["name_en"] = "Consumer price index"
    data["validation_rules"][0]["severity"] = "warning"
    data["dimensions"][0]["categories"].append(
        {"code": "other", "name_vi": "Khác", "name_en": "Other"}
    )
    report = sync(session, write_pack(tmp_path / "v2", data))
    assert (report.updated, report.created, report.rules_updated) == (
        ["CPI"],
        [],
        ["POPULATION_SEX_TOTAL"],
    )
    assert report.dimensions == ["sex"]
    cpi = service.get_indicator(db=session, code="CPI")
    assert (cpi.version, cpi.deadline_workdays, cpi.name_en) == (2, 7, "Consumer price index")
    history = service.indicator_history(db=session, code="CPI")
    assert [(v.version, v.changed_by) for v in history] == [
        (2, "pack:socioeconomic"),
        (1, "pack:socioeconomic"),
    ]
    assert history[1].definition["deadline_workdays"] == 5
    again = sync(session, write_pack(tmp_path / "v2", data))
    assert again.updated == []
    assert len(again.unchanged) == 24


def test_removed_indicators_are_retired_not_deleted(session: Session, tmp_path: Path) -> None:
    data = real_pack_data()
    data["indicators"] = [i for i in data["indicators"] if i["code"] != "NEW_JOBS"]
    data["validation_rules"] = [
        r for r in data["validation_rules"] if r["code"] != "EXPORT_TURNOVER_NOT_NEGATIVE"
    ]
    report = sync(session, write_pack(tmp_path / "v3", data))
    assert report.deactivated == ["NEW_JOBS"]
    assert report.rules_deactivated == ["EXPORT_TURNOVER_NOT_NEGATIVE"]
    retired = service.get_indicator(db=session, code="NEW_JOBS")
    assert (retired.active, retired.version) == (False, 2)
    active, total = service.list_indicators(db=session, component="socioeconomic", limit=100)
    assert total == 23
    assert "NEW_JOBS" not in [i.code for i in active]
    _all, total_all = service.list_indicators(
        db=session, component="socioeconomic", include_inactive=True, limit=100
    )
    assert total_all == 24
    back = sync(session, REAL_PACK)  # declared again: active again, as a new version
    assert back.updated == ["NEW_JOBS"]
    assert service.get_indicator(db=session, code="NEW_JOBS").version == 3


def test_local_edits_survive_a_pack_upgrade(session: Session, tmp_path: Path) -> None:
    admin = Actor(kind="user", id=1, name="quantri", role=Role.ADMIN)
    service.update_indicator(
        db=session, actor=admin, code="CPI", data=IndicatorPatch(deadline_workdays=8)
    )
    data = real_pack_data()
    indicator(data, "CPI")["decimals"] = 3
    indicator(data, "IIP")["decimals"] = 2
    report = sync(session, write_pack(tmp_path / "v4", data))
    assert report.kept_local == ["CPI"]
    assert report.updated == ["IIP"]
    cpi = service.get_indicator(db=session, code="CPI")
    assert (cpi.deadline_workdays, cpi.decimals, cpi.version) == (8, 2, 2)
    # an indicator an administrator added to the component is not the pack's to retire
    make_indicator(session, "LOCAL_EXTRA", component="socioeconomic")
    report = sync(session, REAL_PACK)
    assert report.deactivated == []
    assert service.get_indicator(db=session, code="LOCAL_EXTRA").active


def test_owner_agencies_resolve_in_the_home_province(session: Session, tmp_path: Path) -> None:
    pack = {
        "component": {"code": "health", "name_vi": "Y tế", "name_en": "Health"},
        "indicators": [
            {"code": "HOSPITAL_BEDS", "name_vi": "Số giường bệnh", "name_en": "Hospital beds",
             "sector": "health", "agg_units": "sum", "agg_time": "last", "cadence": "year",
             "owner_agency": "SYT"},
            {"code": "BEDS_PER_10K", "name_vi": "Số giường bệnh trên 10.000 dân",
             "name_en": "Beds per 10,000 people", "sector": "health", "agg_units": "none",
             "agg_time": "last", "cadence": "year", "owner_agency": "SDL",
             "formula": "#{HOSPITAL_BEDS} / #{POPULATION} * 10000"},
        ],
    }  # fmt: skip
    report = sync(session, REAL_PACK, write_pack(tmp_path / "health", pack), home="01")
    assert report.created == ["HOSPITAL_BEDS", "BEDS_PER_10K"]
    assert report.warnings == ["BEDS_PER_10K: agency 01.SDL does not exist: no owner set"]
    assert service.get_indicator(db=session, code="HOSPITAL_BEDS").owner_agency == "01.SYT"
    assert service.get_indicator(db=session, code="BEDS_PER_10K").owner_agency is None


def test_a_pack_that_does_not_check_writes_nothing(session: Session, tmp_path: Path) -> None:
    data = real_pack_data()
    indicator(data, "GRDP_PER_CAPITA")["formula"] = "#{GRDP} / #{RESIDENTS}"
    indicator(data, "IIP")["weight_indicator"] = "INDUSTRY_GVA"
    indicator(data, "CPI")["deadline_workdays"] = 9
    data["indicators"].append(
        {"code": "LOOP", "name_vi": "Vòng lặp", "name_en": "Loop", "sector": "test",
         "agg_units": "none", "agg_time": "last", "cadence": "year", "formula": "#{LOOP} + 1"}
    )  # fmt: skip
    with pytest.raises(ProblemError) as exc:
        sync(session, write_pack(tmp_path / "bad", data))
    assert exc.value.code == "validation_error"
    found = {(".".join(e["location"]), e["type"]) for e in exc.value.errors}
    assert found == {
        ("packs.socioeconomic.indicators.GRDP_PER_CAPITA.formula", "unknown_indicator"),
        ("packs.socioeconomic.indicators.IIP.weight_indicator", "unknown_indicator"),
        ("packs.socioeconomic.indicators.LOOP.formula", "formula_cycle"),
    }
    assert service.get_indicator(db=session, code="CPI").deadline_workdays == 5
