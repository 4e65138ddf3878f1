"""One error shape everywhere: RFC 9457 problem details with a stable ``code``.

Services raise :class:`ProblemError` (or a subclass) with a code from :data:`CATALOG`; the web
layer turns it into ``application/problem+json`` whose ``title`` is Vietnamese or English by
``Accept-Language``, or into a friendly HTML page for browsers. Codes are the contract with
clients and never change meaning; titles are translations and may be reworded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dieuhanh.core.i18n import N_, gettext

PROBLEM_TYPE_BASE = "https://dieuhanh.vn/problems/"


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    title: str  # English msgid, translated at render time


CATALOG: dict[str, ErrorSpec] = {
    "bad_request": ErrorSpec(400, N_("The request is malformed")),
    "validation_error": ErrorSpec(422, N_("The request contains invalid data")),
    "invalid_period": ErrorSpec(422, N_("The period is not valid")),
    "invalid_date": ErrorSpec(422, N_("The date is not valid")),
    "not_authenticated": ErrorSpec(401, N_("You need to sign in")),
    "invalid_credentials": ErrorSpec(401, N_("Wrong username or password")),
    "account_locked": ErrorSpec(429, N_("Too many failed sign-ins; try again later")),
    "invalid_api_key": ErrorSpec(401, N_("The API key is invalid, expired or revoked")),
    "forbidden": ErrorSpec(403, N_("You are not allowed to do this")),
    "out_of_scope": ErrorSpec(403, N_("This unit is outside your scope")),
    "csrf_failed": ErrorSpec(403, N_("The form has expired; reload the page and try again")),
    "not_found": ErrorSpec(404, N_("The page or resource does not exist")),
    "unit_not_found": ErrorSpec(404, N_("The administrative unit does not exist")),
    "indicator_not_found": ErrorSpec(404, N_("The indicator does not exist")),
    "dataflow_not_found": ErrorSpec(404, N_("The SDMX dataflow does not exist")),
    "datastructure_not_found": ErrorSpec(404, N_("The SDMX data structure does not exist")),
    "sdmx_no_results": ErrorSpec(404, N_("No data match this SDMX query")),
    "rule_not_found": ErrorSpec(404, N_("The validation rule does not exist")),
    "dashboard_not_found": ErrorSpec(404, N_("The dashboard does not exist")),
    "widget_not_found": ErrorSpec(404, N_("The widget does not exist on this dashboard")),
    "playlist_not_found": ErrorSpec(404, N_("The wall playlist does not exist")),
    "user_not_found": ErrorSpec(404, N_("The user does not exist")),
    "api_key_not_found": ErrorSpec(404, N_("The API key does not exist")),
    "category_not_found": ErrorSpec(404, N_("The report category does not exist")),
    "report_not_found": ErrorSpec(404, N_("The report does not exist")),
    "method_not_allowed": ErrorSpec(405, N_("This method is not allowed here")),
    "not_acceptable": ErrorSpec(406, N_("The requested format is not available")),
    "conflict": ErrorSpec(409, N_("The request conflicts with existing data")),
    "user_exists": ErrorSpec(409, N_("A user with this username already exists")),
    "unit_exists": ErrorSpec(409, N_("A unit with this code already exists")),
    "indicator_exists": ErrorSpec(409, N_("An indicator with this code already exists")),
    "rule_exists": ErrorSpec(409, N_("A validation rule with this code already exists")),
    "dashboard_exists": ErrorSpec(409, N_("A dashboard with this code already exists")),
    "category_exists": ErrorSpec(409, N_("A report category with this code already exists")),
    "invalid_transition": ErrorSpec(409, N_("The report is not in a state that allows this")),
    "version_conflict": ErrorSpec(
        409, N_("Someone else saved this in the meantime; reload and apply your change again")
    ),
    "idempotency_conflict": ErrorSpec(
        409, N_("This idempotency key was already used for a different request")
    ),
    "payload_too_large": ErrorSpec(413, N_("The upload is too large")),
    "media_too_large": ErrorSpec(413, N_("The photo or video is too large")),
    "unsupported_media_type": ErrorSpec(415, N_("The file type is not accepted")),
    "media_type_not_allowed": ErrorSpec(
        415, N_("Only JPEG, PNG or WebP photos and MP4, MOV or WebM videos are accepted")
    ),
    "media_corrupt": ErrorSpec(422, N_("The photo or video is damaged or incomplete")),
    "media_too_many": ErrorSpec(422, N_("Too many photos or videos are attached")),
    "video_too_long": ErrorSpec(422, N_("The video is too long")),
    "answer_incomplete": ErrorSpec(
        422, N_("The answer lacks a required part or its evidence; nothing was published")
    ),
    "reporter_required": ErrorSpec(422, N_("Your name and phone number are required")),
    "location_outside": ErrorSpec(422, N_("The location is outside the area this centre serves")),
    "weak_password": ErrorSpec(422, N_("The password is too weak")),
    "import_failed": ErrorSpec(422, N_("The import was rejected; nothing was saved")),
    "sdmx_invalid_key": ErrorSpec(422, N_("The SDMX series key is not valid")),
    "invalid_pack": ErrorSpec(422, N_("The component pack is not valid; nothing was loaded")),
    "rate_limited": ErrorSpec(429, N_("Too many requests; slow down")),
    "internal_error": ErrorSpec(500, N_("An unexpected error occurred")),
    "service_unavailable": ErrorSpec(503, N_("The service is temporarily unavailable")),
}


@dataclass
class ProblemError(Exception):
    """A failure the client should see, identified by a stable code."""

    code: str
    detail: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOG:
            raise KeyError(f"unknown problem code {self.code!r}; add it to errors.CATALOG")
        super().__init__(self.code)

    @property
    def status(self) -> int:
        return CATALOG[self.code].status

    def to_dict(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        return problem_body(
            self.code,
            locale,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
            extra=self.extra,
        )


def problem_body(
    code: str,
    locale: str,
    *,
    detail: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    spec = CATALOG[code]
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": gettext(spec.title, locale),
        "status": spec.status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body
