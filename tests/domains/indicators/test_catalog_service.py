"""Catalog service on both databases: reading, search, versioned changes, validation with
field locations, permissions, the audit trail, rules and targets."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from dieuhanh.core.db import Database
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas import (
    IndicatorIn,
    IndicatorPatch,
    RuleIn,
    RulePatch,
    TargetIn,
)
from tests.fixtures.indicators import CATALOG_ACTOR, indicator_defaults, make_indicator
from tests.fixtures.units import unit_id

ADMIN = CATALOG_ACTOR


def person(role: Role, scope: int | None = None, name: str = "tester") -> Actor:
    return Actor(kind="user", id=1, name=name, role=role, scope_unit_id=scope)


def codes(items: list[Any]) -> list[str]:
    return [item.code for item in items]


def problem(exc: pytest.ExceptionInfo[ProblemError], code: str) -> list[dict[str, Any]]:
    assert exc.value.code == code
    return exc.value.errors


def located(errors: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(field path, error type) of each entry: what a client or a page relies on."""
    return {(".".join(e["location"]), e["type"]) for e in errors}


# --- reading what the built-in pack put in every database ------------------------------------


def test_builtin_pack_indicators_have_portable_owners(session: Session) -> None:
    grdp = service.get_indicator(db=session, code="GRDP")
    assert grdp.name_vi == "Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành"
    assert (grdp.agg_units, grdp.agg_time, grdp.cadence) == ("sum", "sum", "quarter")
    assert grdp.owner_agency == "48.STC"
    assert grdp.owner_agency_name == "Sở Tài chính thành phố Đà Nẵng"
    assert grdp.owner_agency_id == unit_id(session, "48.STC")
    assert grdp.component == "socioeconomic"
    assert grdp.version == 1
    assert "id" not in grdp.model_dump()
    poverty = service.get_indicator(db=session, code="POVERTY_RATE")
    assert (poverty.agg_units, poverty.weight_indicator) == ("wavg", "HOUSEHOLDS")
    assert poverty.weight_indicator_id == service.get_indicator(db=session, code="HOUSEHOLDS").id
    assert poverty.owner_agency == "48.SNNMT"
    population = service.get_indicator(db=session, code="POPULATION")
    assert population.disaggregations == ["sex", "area"]
    assert population.report_level == "commune"
    by_id = service.get_indicator_by_id(db=session, indicator_id=population.id)
    assert by_id == population
    history = service.indicator_history(db=session, code="GRDP")
    assert [(v.version, v.changed_by) for v in history] == [(1, "pack:socioeconomic")]
    assert history[0].definition["owner_agency"] == "48.STC"


def test_dimensions_and_rules_of_the_pack(session: Session) -> None:
    dimensions = {d.code: d for d in service.list_dimensions(db=session)}
    assert list(dimensions) == ["age_group", "area", "sex"]
    assert [(c.code, c.name_vi) for c in dimensions["sex"].categories] == [
        ("male", "Nam"),
        ("female", "Nữ"),
    ]
    rules, total = service.list_rules(db=session, limit=100)
    assert total == 11
    sex_rule = service.get_rule(db=session, code="POPULATION_SEX_TOTAL")
    assert (sex_rule.operator, sex_rule.right, sex_rule.component) == (
        "==",
        "#{POPULATION}",
        "socioeconomic",
    )
    assert "POPULATION_SEX_TOTAL" in codes(rules)


def test_missing_indicator(session: Session) -> None:
    with pytest.raises(ProblemError) as exc:
        service.get_indicator(db=session, code="NO_SUCH")
    assert exc.value.code == "indicator_not_found"
    assert exc.value.status == 404
    found = service.indicators_by_code(db=session, codes=["CPI", "NO_SUCH", "GRDP", "CPI"])
    assert sorted(found) == ["CPI", "GRDP"]
    assert found["CPI"].direction == "down"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("thu ngan sach", ["BUDGET_REVENUE", "BUDGET_REVENUE_PCT", "BUDGET_REVENUE_PLAN"]),
        ("THU NGÂN SÁCH", ["BUDGET_REVENUE", "BUDGET_REVENUE_PCT", "BUDGET_REVENUE_PLAN"]),
        ("grdp", ["GRDP", "GRDP_GROWTH", "GRDP_PER_CAPITA"]),
        ("unemployment", ["UNEMPLOYMENT_RATE"]),
        ("ty le ho ngheo", ["POVERTY_RATE"]),
        ("new jobs", ["NEW_JOBS"]),
        ("khách quốc tế", ["INTERNATIONAL_ARRIVALS"]),
        ("zzz", []),
    ],
)
def test_search_ignores_accents_and_case(session: Session, q: str, expected: list[str]) -> None:
    items, total = service.list_indicators(db=session, q=q, limit=100)
    assert sorted(codes(items)) == expected
    assert total == len(expected)


def test_list_filters_orders_and_pages(session: Session) -> None:
    finance, total = service.list_indicators(db=session, sector="finance")
    assert codes(finance) == [
        "BUDGET_EXPENDITURE",
        "BUDGET_REVENUE",
        "BUDGET_REVENUE_PCT",
        "BUDGET_REVENUE_PLAN",
    ]
    assert total == 4
    everything, total = service.list_indicators(db=session, component="socioeconomic", limit=100)
    assert total == len(everything) == 24
    first, total_first = service.list_indicators(db=session, limit=10)
    second, _ = service.list_indicators(db=session, limit=10, offset=10)
    assert total_first == 32  # and the feedback pack's 8
    whole, _ = service.list_indicators(db=session, limit=100)
    assert codes(first) + codes(second) == codes(whole)[:20]
    # component, then sector, then code
    keys = [(i.component, i.sector, i.code) for i in everything]
    assert keys == sorted(keys)
    searched, total = service.list_indicators(
        db=session, q="ty le", component="socioeconomic", limit=2, offset=1
    )
    # "Tỷ lệ …" in finance, investment, labour, social (sector order); the page skips one
    assert total == 4
    assert codes(searched) == ["PUBLIC_INVESTMENT_DISBURSEMENT_RATE", "UNEMPLOYMENT_RATE"]


# --- creating and changing -------------------------------------------------------------------


def test_create_then_change_is_versioned(session: Session) -> None:
    created = make_indicator(session, "TEST_FLOW", owner_agency="48.SYT")
    assert created.version == 1
    assert created.owner_agency_name == "Sở Y tế thành phố Đà Nẵng"
    changed = service.update_indicator(
        db=session,
        actor=person(Role.ADMIN, name="quantri"),
        code="TEST_FLOW",
        data=IndicatorPatch(deadline_workdays=3, agg_time="last"),
    )
    assert (changed.version, changed.deadline_workdays, changed.agg_time) == (2, 3, "last")
    assert changed.updated_at >= created.updated_at
    same = service.update_indicator(
        db=session, actor=ADMIN, code="TEST_FLOW", data=IndicatorPatch(deadline_workdays=3)
    )
    assert same.version == 2  # nothing changed: no new version
    history = service.indicator_history(db=session, code="TEST_FLOW")
    assert [(v.version, v.changed_by) for v in history] == [
        (2, "user:quantri"),
        (1, "system:tests"),
    ]
    assert history[0].definition["deadline_workdays"] == 3
    assert history[1].definition["deadline_workdays"] == 10
    assert history[1].definition["agg_time"] == "sum"
    assert set(history[0].definition) == set(IndicatorIn.model_fields)


def test_patch_clears_optional_fields(session: Session) -> None:
    make_indicator(session, "TEST_RATIO", formula="#{GRDP} / #{POPULATION}", owner_agency="48.STC")
    cleared = service.update_indicator(
        db=session,
        actor=ADMIN,
        code="TEST_RATIO",
        data=IndicatorPatch.model_validate({"formula": None, "owner_agency": None}),
    )
    assert (cleared.formula, cleared.owner_agency, cleared.owner_agency_id) == (None, None, None)
    assert cleared.version == 2


def test_weighted_average_needs_an_existing_weight(session: Session) -> None:
    with pytest.raises(ProblemError) as exc:
        service.update_indicator(
            db=session, actor=ADMIN, code="CPI", data=IndicatorPatch(agg_units="wavg")
        )
    assert located(problem(exc, "validation_error")) == {
        ("body.weight_indicator", "weight_required")
    }
    with pytest.raises(ProblemError) as exc:
        make_indicator(session, "TEST_W", agg_units="wavg", weight_indicator="NO_SUCH")
    assert located(problem(exc, "validation_error")) == {
        ("body.weight_indicator", "unknown_indicator")
    }
    weighted = make_indicator(session, "TEST_W", agg_units="wavg", weight_indicator="POPULATION")
    assert weighted.weight_indicator_id == service.get_indicator(db=session, code="POPULATION").id


def test_every_reference_is_checked_at_once(session: Session) -> None:
    with pytest.raises(ProblemError) as exc:
        make_indicator(
            session,
            "TEST_BAD",
            disaggregations=["sex", "colour"],
            owner_agency="48",
            formula="#{GRDP} + #{NOPE}",
        )
    errors = problem(exc, "validation_error")
    assert located(errors) == {
        ("body.disaggregations", "unknown_dimension"),
        ("body.owner_agency", "not_an_agency"),
        ("body.formula", "unknown_indicator"),
    }
    by_type = {e["type"]: e for e in errors}
    assert by_type["unknown_dimension"]["params"] == {"value": "colour"}
    assert by_type["unknown_indicator"]["message"] == "No indicator has the code NOPE"
    with pytest.raises(ProblemError) as exc:
        make_indicator(session, "TEST_BAD", owner_agency="48.XYZ")
    assert located(problem(exc, "validation_error")) == {("body.owner_agency", "unknown_agency")}


def test_formula_syntax_error_points_at_the_character(session: Session) -> None:
    with pytest.raises(ProblemError) as exc:
        make_indicator(session, "TEST_F", formula="#{GRDP} * * 2")
    (entry,) = problem(exc, "validation_error")
    assert entry["location"] == ["body", "formula"]
    assert entry["type"] == "formula_syntax"
    assert entry["position"] == 10  # 0-based: the second "*"
    assert entry["params"]["position"] == 11  # 1-based, for people
    assert entry["message"].startswith("The formula is not valid at character 11: Expected")
    assert entry["reason_params"] == {"found": "*"}
    with pytest.raises(ProblemError) as exc:
        make_indicator(session, "TEST_F", formula="#{GRDP} > 1")
    assert located(problem(exc, "validation_error")) == {("body.formula", "formula_not_number")}
    with pytest.raises(ProblemError) as exc:
        make_indicator(session, "TEST_F", formula="#{POPULATION:sex=other}")
    assert located(problem(exc, "validation_error")) == {("body.formula", "unknown_breakdown")}
    ok = make_indicator(session, "TEST_F", formula="#{POPULATION:sex=female} / #{POPULATION}")
    assert ok.formula == "#{POPULATION:sex=female} / #{POPULATION}"


def test_formulas_cannot_loop(session: Session) -> None:
    with pytest.raises(ProblemError) as exc:
        make_indicator(session, "TEST_SELF", formula="#{TEST_SELF} + 1")
    (entry,) = problem(exc, "validation_error")
    assert (entry["type"], entry["params"]["value"]) == ("formula_cycle", "TEST_SELF → TEST_SELF")
    make_indicator(session, "TEST_A", formula="#{GRDP} * 2")
    make_indicator(session, "TEST_B", formula="#{TEST_A} + 1")
    make_indicator(session, "TEST_C", formula="#{TEST_B} + 1")
    with pytest.raises(ProblemError) as exc:
        service.update_indicator(
            db=session, actor=ADMIN, code="TEST_A", data=IndicatorPatch(formula="#{TEST_C} / 2")
        )
    (entry,) = problem(exc, "validation_error")
    assert entry["params"]["value"] == "TEST_A → TEST_C → TEST_B → TEST_A"
    assert service.get_indicator(db=session, code="TEST_A").formula == "#{GRDP} * 2"


def test_codes_are_unique_and_immutable(session: Session) -> None:
    make_indicator(session, "TEST_ONE")
    with pytest.raises(ProblemError) as exc:
        make_indicator(session, "TEST_ONE")
    assert exc.value.code == "indicator_exists"
    assert exc.value.status == 409
    other = IndicatorIn.model_validate(indicator_defaults("TEST_TWO"))
    with pytest.raises(ProblemError) as exc:
        service.update_indicator(db=session, actor=ADMIN, code="TEST_ONE", data=other)
    assert located(problem(exc, "validation_error")) == {("body.code", "code_immutable")}


def test_only_administrators_manage_the_catalog(session: Session) -> None:
    data = IndicatorIn.model_validate(indicator_defaults("TEST_PERM"))
    for role in (Role.LEADER, Role.OPERATOR, Role.AGENCY, Role.CITIZEN):
        with pytest.raises(ProblemError) as exc:
            service.create_indicator(db=session, actor=person(role, scope=1), data=data)
        assert exc.value.code == "forbidden"
    with pytest.raises(ProblemError) as exc:
        service.update_indicator(
            db=session, actor=Actor(kind="anonymous"), code="GRDP", data=IndicatorPatch()
        )
    assert exc.value.code == "not_authenticated"
    scoped = person(Role.ADMIN, scope=unit_id(session, "48"))
    created = service.create_indicator(
        db=session, actor=scoped, data=data.model_copy(update={"owner_agency": "48.SCT"})
    )
    assert created.owner_agency == "48.SCT"
    with pytest.raises(ProblemError) as exc:
        service.update_indicator(
            db=session, actor=scoped, code="TEST_PERM", data=IndicatorPatch(owner_agency="01.STC")
        )
    assert located(problem(exc, "validation_error")) == {
        ("body.owner_agency", "agency_out_of_scope")
    }


def test_changes_are_in_the_audit_log(database: Database) -> None:
    auth_service.install_audit(database)
    actor = person(Role.ADMIN, name="quantri")
    with database.transaction() as db:
        data = IndicatorIn.model_validate(indicator_defaults("TEST_AUDIT"))
        service.create_indicator(db=db, actor=actor, data=data)
    with database.transaction() as db:
        service.update_indicator(
            db=db, actor=actor, code="TEST_AUDIT", data=IndicatorPatch(decimals=3)
        )
    with database.reading() as db:
        page = auth_service.list_audit(db=db, actor=ADMIN, actor_name="quantri", limit=100)
    entries = [(e.action, e.table_name) for e in page.items]
    assert entries.count(("insert", "indicators")) == 1
    assert entries.count(("update", "indicators")) == 1
    assert entries.count(("insert", "indicator_versions")) == 2
    update = next(e for e in page.items if (e.action, e.table_name) == ("update", "indicators"))
    assert update.before is not None
    assert update.after is not None
    assert (update.before["decimals"], update.after["decimals"]) == (1, 3)


# --- validation rules ------------------------------------------------------------------------


def rule(code: str, **overrides: Any) -> RuleIn:
    fields = {
        "code": code,
        "name_vi": "Quy tắc thử",
        "name_en": "Test rule",
        "left": "#{IMPORT_TURNOVER}",
        "operator": ">=",
        "right": "0",
    }
    return RuleIn.model_validate({**fields, **overrides})


def test_rules_are_checked_and_changed(session: Session) -> None:
    created = service.create_rule(db=session, actor=ADMIN, data=rule("TEST_RULE"))
    assert (created.component, created.missing_strategy, created.severity) == (
        "local",
        "skip_if_any_missing",
        "error",
    )
    with pytest.raises(ProblemError) as exc:
        service.create_rule(db=session, actor=ADMIN, data=rule("TEST_RULE"))
    assert exc.value.code == "rule_exists"
    changed = service.update_rule(
        db=session,
        actor=ADMIN,
        code="TEST_RULE",
        data=RulePatch(right="#{EXPORT_TURNOVER} * 0", severity="warning"),
    )
    assert (changed.right, changed.severity, changed.left) == (
        "#{EXPORT_TURNOVER} * 0",
        "warning",
        "#{IMPORT_TURNOVER}",
    )
    with pytest.raises(ProblemError) as exc:
        service.create_rule(
            db=session,
            actor=ADMIN,
            data=rule("TEST_BAD_RULE", left="#{NOPE} +", right="#{POPULATION:sex=x}"),
        )
    assert located(problem(exc, "validation_error")) == {
        ("body.left", "formula_syntax"),
        ("body.right", "unknown_breakdown"),
    }
    with pytest.raises(ProblemError) as exc:
        service.update_rule(db=session, actor=ADMIN, code="NO_RULE", data=RulePatch())
    assert exc.value.code == "rule_not_found"
    with pytest.raises(ProblemError) as exc:
        service.create_rule(db=session, actor=person(Role.OPERATOR, 1), data=rule("TEST_X"))
    assert exc.value.code == "forbidden"


# --- targets ---------------------------------------------------------------------------------


def target(unit: str, year: int, month: int, value: float, **extra: Any) -> TargetIn:
    return TargetIn(unit=unit, year=year, month=month, value=value, **extra)


def test_targets_replace_the_unit_year(session: Session) -> None:
    leader = person(Role.LEADER, scope=unit_id(session, "48"))
    first = [target("48", 2026, 0, 30_000, source="NQ 01/2026")] + [
        target("48", 2026, m, 2_500) for m in range(1, 13)
    ]
    written = service.set_targets(db=session, actor=leader, code="BUDGET_REVENUE", rows=first)
    assert len(written) == 13
    assert (written[0].unit, written[0].month, written[0].value) == ("48", 0, 30_000)
    assert written[0].unit_name == "Thành phố Đà Nẵng"
    service.set_targets(
        db=session, actor=leader, code="BUDGET_REVENUE", rows=[target("48", 2027, 0, 33_000)]
    )
    # a revised 2026 plan: annual only; the 2026 phases are gone, 2027 untouched
    service.set_targets(
        db=session, actor=leader, code="BUDGET_REVENUE", rows=[target("48", 2026, 0, 31_500)]
    )
    stored = service.get_targets(db=session, code="BUDGET_REVENUE", unit_id=unit_id(session, "48"))
    assert [(t.year, t.month, t.value) for t in stored] == [(2026, 0, 31_500), (2027, 0, 33_000)]
    only_2027 = service.get_targets(db=session, code="BUDGET_REVENUE", year=2027)
    assert [(t.unit, t.value) for t in only_2027] == [("48", 33_000)]


def test_target_units_follow_the_map_of_their_year(session: Session) -> None:
    rows = [target("49", 2024, 0, 25_000), target("20194", 2026, 0, 400)]
    written = service.set_targets(db=session, actor=ADMIN, code="BUDGET_REVENUE", rows=rows)
    assert [(t.unit, t.hierarchy) for t in written] == [("49", "legacy"), ("20194", "2025")]
    assert written[0].unit_name == "Tỉnh Quảng Nam"
    # the legacy province is inside today's Đà Nẵng scope (it was succeeded into it)
    in_scope = service.get_targets(
        db=session, code="BUDGET_REVENUE", scope_unit_id=unit_id(session, "48")
    )
    assert sorted(t.unit for t in in_scope) == ["20194", "49"]
    elsewhere = service.get_targets(
        db=session, code="BUDGET_REVENUE", scope_unit_id=unit_id(session, "01")
    )
    assert elsewhere == []


def test_bad_target_rows_write_nothing(session: Session) -> None:
    rows = [
        target("48", 2026, 0, 1),
        target("99999", 2026, 0, 1),
        target("48.STC", 2026, 0, 1),
        target("48", 2026, 0, 2),
    ]
    with pytest.raises(ProblemError) as exc:
        service.set_targets(db=session, actor=ADMIN, code="BUDGET_REVENUE", rows=rows)
    assert located(problem(exc, "validation_error")) == {
        ("body.1.unit", "unknown_unit"),
        ("body.2.unit", "not_a_territory"),
        ("body.3.month", "duplicate_target"),
    }
    assert service.get_targets(db=session, code="BUDGET_REVENUE") == []


def test_targets_respect_scope_and_role(session: Session) -> None:
    hanoi_leader = person(Role.LEADER, scope=unit_id(session, "01"))
    with pytest.raises(ProblemError) as exc:
        service.set_targets(
            db=session,
            actor=hanoi_leader,
            code="BUDGET_REVENUE",
            rows=[target("01", 2026, 0, 5), target("48", 2026, 0, 5)],
        )
    assert exc.value.code == "out_of_scope"
    assert located(exc.value.errors) == {("body.1.unit", "out_of_scope")}
    assert service.get_targets(db=session, code="BUDGET_REVENUE") == []
    with pytest.raises(ProblemError) as exc:
        service.set_targets(
            db=session,
            actor=person(Role.OPERATOR, scope=unit_id(session, "48")),
            code="BUDGET_REVENUE",
            rows=[target("48", 2026, 0, 5)],
        )
    assert exc.value.code == "forbidden"
    with pytest.raises(ProblemError) as exc:
        service.set_targets(db=session, actor=ADMIN, code="NOPE", rows=[])
    assert exc.value.code == "indicator_not_found"
