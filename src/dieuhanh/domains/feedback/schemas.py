"""What the feedback domain takes and gives: categories (as packs ship them and the API
edits them), reports as a citizen or an operator submits them, and the two views of a
report — the staff view with the reporter's identity and the public view without it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from dieuhanh.core.http import Schema

CategoryCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255)]
Urgency = Literal["urgent", "normal", "complex"]
HandlingLevel = Literal["commune", "province"]
# where a report came from: the citizen app, the 1022 hotline, e-mail, an Open311 client,
# an operator's own entry, social networks, anything else
Channel = Literal["app", "hotline", "email", "open311", "operator", "social", "other"]
OPERATOR_CHANNELS = ("hotline", "email", "operator", "social", "other")
Status = Literal["new", "accepted", "paused", "answered", "closed", "rejected", "merged"]
OPEN_STATUSES = ("new", "accepted", "paused")
# parts an answer may be required to state (see ``Category.answer_parts``)
AnswerPart = Literal["action_taken", "done_on", "legal_basis", "reason", "next_steps"]
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class AttributeValue(Schema):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
    name_vi: Name
    name_en: Name


class Attribute(Schema):
    """An extra question of a category (an Open311 service attribute)."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]
    datatype: Datatype
    required: bool = False
    variable: bool = Field(default=True, description="False: information shown, no answer")
    description_vi: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2)]
    description_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2)]
    order: int = Field(default=0, ge=0)
    values: list[AttributeValue] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lists_have_values(self) -> Attribute:
        if self.datatype.endswith("valuelist") and not self.values:
            raise ValueError(f"{self.code}: a value list needs values")
        if not self.datatype.endswith("valuelist") and self.values:
            raise ValueError(f"{self.code}: only value lists have values")
        return self


class ClockHours(Schema):
    """Working hours allowed, per urgency (khẩn / bình thường / phức tạp)."""

    urgent: float = Field(gt=0, le=2000)
    normal: float = Field(gt=0, le=2000)
    complex: float = Field(gt=0, le=2000)

    def hours(self, urgency: str) -> float:
        value: float = getattr(self, urgency)
        return value


class Deadlines(Schema):
    """Separate clocks to accept and to resolve (QĐ 1207/QĐ-UBND Hà Nội as the default
    shape: accept within 8 working hours, an urgent report resolved within 4)."""

    accept: ClockHours
    resolve: ClockHours
    remind_before_hours: float = Field(default=4, ge=0, le=200)
    extension_max_hours: float = Field(default=40, ge=0, le=2000)


def _default_parts() -> list[AnswerPart]:
    return ["action_taken", "done_on"]


class CategoryIn(Schema):
    code: CategoryCode
    name_vi: Name
    name_en: Name
    description_vi: str = Field(default="", max_length=2000)
    description_en: str = Field(default="", max_length=2000)
    group: str = Field(default="", max_length=64)
    keywords: list[Annotated[str, StringConstraints(max_length=64)]] = Field(default_factory=list)
    agency_kind: str = Field(description="Kind of agency that handles it (units.AGENCY_KINDS)")
    handling_level: HandlingLevel = Field(
        default="commune",
        description="commune: the commune's People's Committee or agency of that kind; "
        "province: the province's agency of that kind",
    )
    attributes: list[Attribute] = Field(default_factory=list, max_length=30)
    deadlines: Deadlines
    answer_parts: list[AnswerPart] = Field(default_factory=_default_parts)
    after_photo: bool = True
    after_photo_distance_m: int = Field(default=200, ge=10, le=50_000)
    position: int = Field(default=0, ge=0)
    active: bool = True

    @field_validator("attributes")
    @classmethod
    def _unique_codes(cls, value: list[Attribute]) -> list[Attribute]:
        codes = [a.code for a in value]
        if len(codes) != len(set(codes)):
            raise ValueError("attribute codes must be unique")
        return value


class CategoryOut(CategoryIn):
    id: int
    component: str
    origin: str
    edited_locally: bool
    version: int
    updated_at: datetime
    name: str = Field(description="In the reader's language")


class CategorySyncReport(Schema):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    kept_local: list[str] = Field(description="Edited by the province: left as they are")


class Reporter(Schema):
    """Who reports: visible only to authorised staff, never published."""

    name: str = Field(default="", max_length=255)
    phone: str = Field(default="", max_length=32, pattern=r"^[0-9 +().-]*$")
    email: str = Field(default="", max_length=255)

    @field_validator("name", "email")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class ReportIn(Schema):
    """A report as the citizen app, an Open311 client or the API submits it."""

    category: CategoryCode
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=5000)
    ]
    title: str = Field(default="", max_length=255)
    attributes: dict[str, Any] = Field(default_factory=dict)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    address: str = Field(default="", max_length=500)
    unit: str | None = Field(default=None, max_length=64, description="Unit code, if known")
    reporter: Reporter = Field(default_factory=Reporter)

    @model_validator(mode="after")
    def _point_is_whole(self) -> ReportIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class OperatorReportIn(ReportIn):
    """A report an operator records for a caller (1022 hotline, e-mail…)."""

    channel: Literal["hotline", "email", "operator", "social", "other"] = "hotline"
    urgency: Urgency = "normal"


class EventOut(Schema):
    at: datetime
    kind: str
    status: Status
    message: str
    actor: str | None = Field(default=None, description="Staff view only")


class MediaOut(Schema):
    id: int
    kind: str
    role: str
    url: str | None = Field(description="Public copy (None: staff only)")
    width: int | None
    height: int | None


class AnswerOut(Schema):
    """The published answer: what was done, when, on what basis, with its evidence."""

    parts: dict[str, str]
    text: str
    answered_at: datetime | None
    media: list[MediaOut]


class PublicReport(Schema):
    """What anyone may see: no identity, no private attachment, moderated text."""

    code: str
    category: str
    category_name: str
    title: str
    description: str
    latitude: float | None
    longitude: float | None
    address: str
    unit: str | None
    unit_name: str | None
    agency_name: str | None
    status: Status
    status_text: str
    submitted_at: datetime
    updated_at: datetime
    reporters: int = Field(description="People who reported it (duplicates merged)")
    media: list[MediaOut]
    updates: list[EventOut]
    answer: AnswerOut | None = Field(
        default=None, description="For a merged report: the answer of the one it joined"
    )
    merged_into: str | None = None
    satisfaction: int | None = None


class ReportOut(PublicReport):
    """The staff view: the reporter, the clocks, the channel."""

    id: int
    channel: Channel
    urgency: Urgency
    agency: str | None
    reporter: Reporter
    recorded_by: str
    accept_due: datetime
    resolve_due: datetime | None
    due_at: datetime | None
    overdue: bool
    located_by: str
    duplicate_of: str | None
    attributes: dict[str, Any]
    hidden: bool


class Submitted(Schema):
    """The answer to a submission: the tracking code and where to follow it."""

    code: str
    status: Status
    follow_url: str = Field(description="The reporter's page, with the key to give a verdict")
    follow_key: str
    accept_due: datetime
    agency_name: str | None
    unit_name: str | None
    replayed: bool = Field(default=False, description="Same idempotency key: nothing new")


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]


class PauseIn(Schema):
    reason: Reason


class ExtensionIn(Schema):
    hours: float = Field(gt=0, le=2000, description="Working hours asked for")
    reason: Reason


class ExtensionDecision(Schema):
    grant: bool
    note: str = Field(default="", max_length=2000)


class TransferIn(Schema):
    agency: str = Field(max_length=64, description="Code of the receiving agency (48.SXD)")
    reason: Reason


class RecategoriseIn(Schema):
    category: CategoryCode
    reason: Reason


class RejectIn(Schema):
    reason: str = Field(max_length=32, description="A reason template code")
    note: str = Field(default="", max_length=2000)


class AnswerForm(Schema):
    """The answer an agency publishes (the JSON part of its multipart form)."""

    parts: dict[AnswerPart, Annotated[str, StringConstraints(max_length=2000)]]
    text: Annotated[str, StringConstraints(max_length=5000)]


class VerdictIn(Schema):
    key: str = Field(min_length=8, max_length=64, description="From the follow link")
    resolved: bool
    rating: int | None = Field(default=None, ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class MergeIn(Schema):
    into: str = Field(max_length=20, description="Tracking code of the report to keep")


class DuplicateOut(Schema):
    report: ReportOut
    distance_m: float
    similarity: float


class ModerateIn(Schema):
    hidden: bool = Field(description="Hide the report from the public side")
    public_description: str | None = Field(
        default=None, max_length=5000, description="Rewrite the public text (masked again)"
    )
    reason: Reason


class RoutingRuleIn(Schema):
    """Reports of ``category`` (any when empty) inside ``unit`` go to ``agency``."""

    category: CategoryCode | None = None
    unit: str = Field(max_length=64, description="Unit code (the rule covers its subtree)")
    agency: str = Field(max_length=64, description="Agency code, e.g. 48.SXD or 20194.UBND")
    note: str = Field(default="", max_length=1000)


class RoutingRuleOut(Schema):
    id: int
    category: str | None
    unit: str
    unit_name: str
    agency: str
    agency_name: str
    note: str
    updated_at: datetime
    updated_by: str
