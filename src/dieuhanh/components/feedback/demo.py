"""Demo citizen reports for the home province: four months of them, from every channel and
category, placed in its communes (a point inside the province and the commune named in the
address), at every stage of their life — waiting, being handled, overdue, answered, closed
with a rating — so the pages, the counters, the figures and the briefing have something to
show. Reproducible (a fixed seed) and idempotent: each report has its idempotency key, and a
second run finds them all and changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from shapely.geometry import Point, shape
from sqlalchemy.orm import Session

from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import service as feedback
from dieuhanh.domains.feedback.schemas import ReportIn
from dieuhanh.domains.units import service as units

SEED = 20261122
COUNT = 240
DAYS = 120
CHANNELS = ("app", "app", "app", "app", "hotline", "hotline", "email", "open311")
STREETS = ("Nguyễn Văn Linh", "Lê Duẩn", "Điện Biên Phủ", "Ngô Quyền", "Hùng Vương", "Trần Phú")
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Quốc Dũng", "Võ Thị Hạnh")
TEXT = {
    "trat-tu-do-thi": "Quán ăn lấn chiếm vỉa hè, người đi bộ phải đi xuống lòng đường.",
    "moi-truong-ve-sinh": "Rác thải tập kết nhiều ngày không được thu gom, bốc mùi hôi thối.",
    "an-toan-thuc-pham": "Cơ sở bán thức ăn đường phố không bảo đảm vệ sinh, có ruồi nhặng.",
    "giao-thong": "Đèn tín hiệu giao thông tại ngã tư bị hỏng từ sáng, xe cộ ùn tắc.",
    "ha-tang": "Mặt đường xuất hiện ổ gà lớn, trời mưa đọng nước, xe máy dễ té ngã.",
    "y-te": "Trạm y tế đông người chờ, đề nghị bố trí thêm cán bộ tiếp đón buổi sáng.",
    "giao-duc": "Khu vực cổng trường giờ tan học ùn tắc, đề nghị bố trí người phân luồng.",
    "an-ninh-trat-tu": "Nhóm thanh niên thường xuyên tụ tập gây ồn ào vào ban đêm.",
    "thu-tuc-hanh-chinh": "Hồ sơ cấp giấy phép đã quá hẹn nhưng chưa được trả kết quả.",
}


@dataclass
class DemoFeedback:
    created: int = 0
    replayed: int = 0
    figures: int = 0

    def summary(self) -> str:
        return (
            f"{self.created} citizen reports ({self.replayed} already there), "
            f"{self.figures} feedback figures written"
        )


def _answers(category: dict[str, object], rng: random.Random) -> dict[str, object]:
    """An answer to each required question of the category (the first value of lists)."""
    out: dict[str, object] = {}
    for spec in category["attributes"]:  # type: ignore[attr-defined]
        if not spec["required"]:
            continue
        values = [v["key"] for v in spec["values"]]
        out[spec["code"]] = rng.choice(values) if values else "Không rõ"
    return out


def _inside(db: Session, province_id: int, rng: random.Random) -> tuple[float, float]:
    """A random point inside the province's outline."""
    outline = shape(units.boundary(db=db, unit_id=province_id)["geometry"])
    west, south, east, north = outline.bounds
    while True:
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if outline.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)


def generate(
    *,
    db: Session,
    actor: Actor,
    home_province: str,
    calendar: WorkCalendar,
    now: datetime,
    count: int = COUNT,
    seed: int = SEED,
) -> DemoFeedback:
    """The demo reports (see the module notes), then the figures of the months they span."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    report = DemoFeedback()
    province = units.get_unit(db=db, code=home_province, hierarchy=units.CURRENT)
    communes, _total = units.children(db=db, unit_id=province.id, level="commune")
    categories = [c.model_dump() for c in feedback.list_categories(db=db)]
    policy = feedback.IntakePolicy(
        home_province=home_province, calendar=calendar, require_identity=False
    )
    for n in range(count):
        category = rng.choice(categories)
        commune = rng.choice(communes)
        lat, lon = _inside(db, province.id, rng)
        street = rng.choice(STREETS)
        data = ReportIn(
            category=str(category["code"]),
            description=TEXT.get(str(category["code"]), "Đề nghị cơ quan chức năng kiểm tra."),
            attributes=_answers(category, rng),
            latitude=lat,
            longitude=lon,
            address=f"{rng.randint(1, 400)} {street}, {commune.name}",
            reporter={"name": rng.choice(NAMES), "phone": f"09{rng.randint(10**7, 10**8 - 1)}"},
        )
        when = now - timedelta(hours=rng.uniform(2, DAYS * 24))
        done = feedback.demo_submit(
            db=db,
            actor=actor,
            data=data,
            channel=rng.choice(CHANNELS),
            policy=policy,
            idempotency_key=f"demo-{seed}-{n}",
            now=when,
            progress=rng.random(),
            calendar=calendar,
        )
        if done:
            report.created += 1
        else:
            report.replayed += 1
    feedback.sweep_deadlines(db=db, now=now)
    months = sorted({feedback.month_of(now - timedelta(days=d), calendar) for d in range(DAYS + 1)})
    report.figures = feedback.publish_figures(
        db=db, actor=actor, province=home_province, calendar=calendar, now=now, periods=months
    )
    return report
