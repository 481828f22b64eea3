"""A filing's steps and the deadlines running on them (issue 12; split out in issue 27).

One step per bureau of the route, in order, each with its status and the dates of what
happened there; the filing's status is its step in progress's. Pure: no clock, no store.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rules.deadlines import compute_deadline
from rules.enums import FilingStatus, PeriodKind
from rules.pack import Pack
from rules.text import Text, t
from rules.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from rules.routing import Route

S = FilingStatus


@dataclass(frozen=True)
class StepState:
    """One bureau's part of a filing: its status and the dates of what happened there."""

    order: int
    local: bool  # this city's bureau (its reviewers decide its outcomes)
    bureau: Text
    status: FilingStatus = S.PREPARED
    submitted_on: dt.date | None = None
    initial_passed_on: dt.date | None = None
    materials_received_on: dt.date | None = None
    certified_on: dt.date | None = None
    psb_number: str | None = None
    certificate_number: str | None = None
    reasons: tuple[str, ...] = ()  # the last return's reasons
    icon_placed_on: dt.date | None = None  # the applicant placed the filing icon (certified)
    returned_on: dt.date | None = None  # the last return (a resubmission is not dated before)
    city: str | None = None  # a bureau elsewhere: its city (None: this city's, or not known)

    @property
    def key(self) -> str:
        """Which bureau this is, whatever its name says (see `bureau_key`)."""
        return bureau_key(self.local, self.city, self.bureau)

    def to_json(self) -> dict[str, Any]:
        """Return the step as stored in `filing.steps`."""
        return {
            "order": self.order,
            "local": self.local,
            "bureau": self.bureau.model_dump(),
            **({"city": self.city} if self.city else {}),
            "status": self.status.value,
            **{
                name: getattr(self, name).isoformat() if getattr(self, name) else None
                for name in _DATES
            },
            "psb_number": self.psb_number,
            "certificate_number": self.certificate_number,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> StepState:
        """Read a step stored by `to_json`."""
        return cls(
            order=int(raw["order"]),
            local=bool(raw["local"]),
            bureau=Text.model_validate(raw["bureau"]),
            status=FilingStatus(raw.get("status", "prepared")),
            **{
                name: dt.date.fromisoformat(raw[name]) if raw.get(name) else None for name in _DATES
            },
            psb_number=raw.get("psb_number"),
            certificate_number=raw.get("certificate_number"),
            reasons=tuple(raw.get("reasons") or ()),
            city=raw.get("city") or None,
        )


def bureau_key(local: bool, city: str | None, bureau: Text) -> str:
    """Name a bureau by what it is, not by its label: this city's (whatever the pack calls it
    today), a city's elsewhere (as the site's maintenance place or its server's alike; 杭州 and
    杭州市, Shanghai and shanghai alike), or — a step stored before steps kept their city — the
    city its label names (「服务器托管地（杭州）的公安网安部门」), else its Chinese name."""
    if local:
        return "local"
    if not city:
        named = _CITY_IN_LABEL.search(bureau.zh)
        city = named.group(1) if named else None
    if not city:
        return f"name:{bureau.zh}"
    plain = re.sub(r"\s+", "", city).lower()
    return "city:" + (plain[:-1] if plain.endswith("市") and len(plain) > 2 else plain)


_CITY_IN_LABEL = re.compile(r"（([^（）]+)）的公安网安部门$")  # rules.routing's own words


_DATES = (
    "submitted_on",
    "initial_passed_on",
    "materials_received_on",
    "certified_on",
    "icon_placed_on",
    "returned_on",
)


@dataclass(frozen=True)
class FilingState:
    """What a decision needs of a filing: its steps in route order and the one in progress."""

    steps: tuple[StepState, ...]
    current: int = 1  # the order of the step in progress
    connection_date: dt.date | None = None

    @property
    def step(self) -> StepState:
        """Return the step in progress."""
        return next(s for s in self.steps if s.order == self.current)

    @property
    def status(self) -> FilingStatus:
        """Return the filing's status: its step in progress's (cancelled when it is)."""
        return self.step.status


STATUS_LABELS: dict[FilingStatus, Text] = {
    S.PREPARED: t("已生成文件，待提交", "documents ready, not submitted"),
    S.SUBMITTED: t("已提交，待初审", "submitted, awaiting initial review"),
    S.INITIAL_REVIEW_PASSED: t("初审通过，待送材料", "initial review passed, bring materials"),
    S.RETURNED: t("被退回整改", "returned for rectification"),
    S.RESUBMITTED: t("已重新提交，待初审", "resubmitted, awaiting initial review"),
    S.MATERIALS_RECEIVED: t("材料已收到，待复审", "materials received, awaiting re-review"),
    S.CERTIFIED: t("已备案", "certified"),
    S.CHANGE_REPORTED: t("已报告变更，待审核", "change reported, awaiting review"),
    S.CANCELLED: t("已注销", "cancelled"),
}
CHANGEABLE = (S.CERTIFIED, S.CHANGE_REPORTED)


def changeable(state: FilingState) -> bool:
    """Say whether a change can be reported: a step is certified, and the filing is not
    cancelled."""
    alive = all(s.status is not S.CANCELLED for s in state.steps)
    return alive and any(s.status in CHANGEABLE for s in state.steps)


def change_since(state: FilingState) -> dt.date | None:
    """Return the earliest day a change may be dated: the first certification of a step it
    applies to (earlier changes are part of the filing); None when nothing is certified."""
    certified = [s.certified_on for s in state.steps if s.status in CHANGEABLE and s.certified_on]
    return min(certified) if certified else None


def amendable(state: FilingState) -> bool:
    """Say whether the applicant may fix the filing's answers ("修改信息"): while the step in
    progress is returned for rectification, or before anything was submitted anywhere (a
    typo in the drafts: new ones are made, the route worked out again)."""
    return state.step.status is S.RETURNED or unsubmitted(state)


def unsubmitted(state: FilingState) -> bool:
    """Say whether no step was submitted to its bureau yet (every step only prepared)."""
    return all(s.status is S.PREPARED for s in state.steps)


def filed_steps(state: FilingState) -> tuple[StepState, ...]:
    """Return the steps submitted to their bureau at some point (not merely prepared): the
    bureaus a cancellation is told to, with a written statement."""
    return tuple(s for s in state.steps if s.status is not S.PREPARED)


def awaits_online(state: FilingState) -> bool:
    """Say whether the site's going online may be recorded: it had no connection date when
    confirmed (not online yet) and nothing is submitted (a second step prepared after a
    certified first one is not a site waiting to go online)."""
    return unsubmitted(state) and state.connection_date is None


def not_changeable(status: FilingStatus) -> Text:
    """Say why a filing in `status` cannot report a change."""
    if status is S.CANCELLED:
        return t("这份备案已注销，只保留记录。", "This filing is cancelled: kept for the record.")
    return t(
        f"这份备案现在是“{STATUS_LABELS[status].zh}”：取得公安备案号后才能报告变更"
        "（被退回时请发送 /amend 修改）。",  # /amend works in every chat; a button not in all
        f"This filing is “{STATUS_LABELS[status].en}”: a change is reported once it is "
        "certified (when it is returned, send /amend to fix it).",
    )


def not_amendable(state: FilingState) -> Text:
    """Say why the filing's answers cannot be fixed now (`amendable` is false), by its status."""
    if any(s.status is S.CANCELLED for s in state.steps):
        return not_changeable(S.CANCELLED)
    if changeable(state):
        return t(
            "这份备案已取得公安备案号，不能再修改；信息有变化时请发送 /change 报告变更。",
            "This filing is certified and can no longer be fixed; when something changes, "
            "report it with /change.",
        )
    label = STATUS_LABELS[state.status]
    return t(
        f"这份备案现在是“{label.zh}”：已提交的备案在审核期间不能修改，"
        "被退回整改时才可以（届时发送 /amend）。",
        f"This filing is “{label.en}”: a submitted filing cannot be fixed while it is under "
        "review, only when it is returned for rectification (then send /amend).",
    )


def due_of(kind: PeriodKind, start: dt.date, pack: Pack, cal: WorkdayCalendar) -> dt.date:
    """Return the last day of the period `kind` started on `start`."""
    return compute_deadline(kind, start, pack, cal).due


def route_steps(route: Route) -> tuple[StepState, ...]:
    """Return a route's bureaus as steps, in its order, not filed anywhere yet."""
    return tuple(StepState(s.order, s.local, s.bureau, city=s.city) for s in route.steps)


def steps_of_route(route: dict[str, Any]) -> tuple[StepState, ...]:
    """Return a new filing's steps from its stored route (`filing.route`)."""
    return tuple(
        StepState(
            order=int(s["order"]),
            local=s["where"] == "local",
            bureau=Text.model_validate(s.get("bureau") or {"zh": "", "en": ""}),
            city=s.get("city") or None,
        )
        for s in route.get("steps", [])
    )


def rerouted(
    state: FilingState,
    route: tuple[StepState, ...] | None,
    *,
    in_scope: bool = True,
    withdraw: bool = True,
) -> FilingState:
    """Return the filing's steps once a change moved its route to `route`'s steps (None: the
    route stays). A certified step stays (its bureau is told of the change, and cancels there
    when the site left it); a step under review stays while its bureau is on the new route,
    or is this city's (its reviewers decide it), or when not `withdraw` (a returned change:
    what was submitted meanwhile is not undone); else the application there is withdrawn and
    the step goes. The steps never submitted give way to the new route's bureaus not filed
    with yet, in its order (none when the route is not `in_scope`), so no step names a city
    the site left. A kept step takes the new route's label for its bureau (the server's host
    may now be the maintenance place; this city's bureau its name today). The step in
    progress: the one under review, else the first new one, else the last certified."""
    if route is None:
        return state
    now = {s.key: s for s in route}
    kept = [
        replace(s, bureau=now[s.key].bureau) if s.key in now else s
        for s in state.steps
        if s.status in CHANGEABLE
        or (s.status is not S.PREPARED and (s.key in now or s.local or not withdraw))
    ]
    if not kept:
        return state
    filed = {s.key for s in kept}
    last = max(s.order for s in kept)
    added = (s for s in route if s.key not in filed) if in_scope else iter(())
    tail = [replace(s, order=last + i, status=S.PREPARED) for i, s in enumerate(added, start=1)]
    going = [s.order for s in kept if s.status not in CHANGEABLE] + [s.order for s in tail]
    return replace(state, steps=(*kept, *tail), current=going[0] if going else last)


# The clock running at this city's bureau in each status: its label, period and start date.
_CLOCKS: dict[FilingStatus, tuple[Text, PeriodKind, str]] = {
    S.SUBMITTED: (t("初审期限", "initial review due"), PeriodKind.INITIAL_REVIEW, "submitted_on"),
    S.RESUBMITTED: (t("初审期限", "initial review due"), PeriodKind.INITIAL_REVIEW,
                    "submitted_on"),
    S.INITIAL_REVIEW_PASSED: (t("送材料期限", "materials due"), PeriodKind.MATERIALS,
                              "initial_passed_on"),
    S.MATERIALS_RECEIVED: (t("复审期限", "re-review due"), PeriodKind.RE_REVIEW,
                           "materials_received_on"),
}  # fmt: skip


def next_deadline(
    state: FilingState, pack: Pack, cal: WorkdayCalendar
) -> tuple[Text, dt.date] | None:
    """Return the deadline running now (what it is, when), or None: this city's review
    clocks on its own step, or the 30 days to submit before the first step is submitted."""
    step = state.step
    clock = _CLOCKS.get(step.status) if step.local else None
    start = getattr(step, clock[2]) if clock is not None else None
    if clock is not None and start is not None:
        return clock[0], due_of(clock[1], start, pack, cal)
    if step.status is S.PREPARED and state.current == 1 and state.connection_date:
        return t("提交期限", "submit by"), due_of(
            PeriodKind.FILING, state.connection_date, pack, cal
        )
    return None
