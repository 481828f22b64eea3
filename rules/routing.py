"""Which bureau(s) to file with, and in what order (filing-rules.md A2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rules.enums import Location, RouteWhere
from rules.pack import Pack
from rules.places import is_outside_mainland
from rules.text import Text, t

if TYPE_CHECKING:
    from rules.answers import FilingAnswers


@dataclass(frozen=True)
class RouteStep:
    """One bureau to file with."""

    order: int
    where: RouteWhere
    bureau: Text
    city: str | None = None  # the other city, for a step elsewhere
    # The pack that knows this bureau's procedure: this city's, an installed neighbour's for
    # a step elsewhere, or None (its own local rules apply; this pack has no details).
    pack: Pack | None = field(default=None, compare=False, repr=False)

    @property
    def local(self) -> bool:
        """Say whether this step is with this city's bureau."""
        return self.where is RouteWhere.LOCAL


@dataclass(frozen=True)
class Route:
    """The routing verdict: in scope or not, the ordered steps, and advice in words."""

    in_scope: bool
    steps: tuple[RouteStep, ...]
    advice: Text


def _elsewhere(order: int, where: RouteWhere, city: str | None, pack: Pack) -> RouteStep:
    known = pack.pack_for(city) if city else None
    if known is not None and known is not pack:
        return RouteStep(order, where, known.bureau.name, city, known)
    return RouteStep(order, where, _elsewhere_bureau(where, city), city)


def _elsewhere_bureau(where: RouteWhere, city: str | None) -> Text:
    if where is RouteWhere.SERVER:
        base = t("服务器托管地", "where the server is hosted")
    else:
        base = t("网站系统维护地", "where the site is maintained")
    if city:
        return t(
            f"{base.zh}（{city}）的公安网安部门",
            f"the public security cyber-security department of {city} ({base.en})",
        )
    return t(
        f"{base.zh}的公安网安部门",
        f"the public security cyber-security department {base.en}",
    )


def is_this_city(city: str | None, pack: Pack) -> bool:
    """Say whether a city someone named is the pack's own city."""
    return pack.is_city(city)


def _clean(city: str | None) -> str | None:
    return (city or "").strip() or None


def route_of(answers: FilingAnswers, pack: Pack) -> Route:
    """Return the route of a filing's answers (their maintenance and server places)."""
    return route_filing(
        answers.maintenance, answers.server, pack, answers.maintenance_city, answers.server_city
    )


def route_filing(
    maintenance: Location,
    server: Location,
    pack: Pack,
    maintenance_city: str | None = None,
    server_city: str | None = None,
) -> Route:
    """Return where to file for a site maintained at `maintenance` with its server at `server`.

    A city named "elsewhere" that is this city (示例市, or 示例 without 市) is taken as local:
    the route never names this city's bureau twice."""
    maintenance_city, server_city = _clean(maintenance_city), _clean(server_city)
    if maintenance is Location.ELSEWHERE and is_this_city(maintenance_city, pack):
        maintenance, maintenance_city = Location.LOCAL, None
    if server is Location.ELSEWHERE and is_this_city(server_city, pack):
        server, server_city = Location.LOCAL, None
    abroad = _abroad(maintenance, maintenance_city, server, server_city, pack)
    if abroad is not None:
        return abroad
    if maintenance is Location.LOCAL:
        return _maintained_here(server, server_city, pack)
    maintenance_step = _elsewhere(1, RouteWhere.MAINTENANCE, maintenance_city, pack)
    if server is Location.LOCAL:
        second = RouteStep(2, RouteWhere.LOCAL, pack.bureau.name, pack=pack)
        return Route(
            True,
            (maintenance_step, second),
            t(
                f"系统维护在外地、服务器在{pack.city.zh}：先到{maintenance_step.bureau.zh}备案，"
                f"再到{pack.bureau.name.zh}备案。",
                f"Maintained elsewhere, server in {pack.city.en}: first file with "
                f"{maintenance_step.bureau.en}, then with {pack.bureau.name.en}.",
            ),
        )
    return _neither_here(maintenance_step, maintenance_city, server_city, pack)


def _maintained_here(server: Location, server_city: str | None, pack: Pack) -> Route:
    """Maintained in this city: this city's bureau alone, or first when the server is away."""
    local = RouteStep(1, RouteWhere.LOCAL, pack.bureau.name, pack=pack)
    city = pack.city
    if server is Location.LOCAL:
        return Route(
            True,
            (local,),
            t(
                f"网站系统维护和服务器都在{city.zh}，只需到{pack.bureau.name.zh}办理备案。",
                f"Both maintenance and server are in {city.en}: file only with "
                f"{pack.bureau.name.en}.",
            ),
        )
    server_step = _elsewhere(2, RouteWhere.SERVER, server_city, pack)
    return Route(
        True,
        (local, server_step),
        t(
            f"系统维护在{city.zh}、服务器在外地：先到{pack.bureau.name.zh}备案，"
            f"再到{server_step.bureau.zh}备案。",
            f"Maintained in {city.en}, server elsewhere: first file with "
            f"{pack.bureau.name.en}, then with {server_step.bureau.en}.",
        ),
    )


def _neither_here(
    maintenance_step: RouteStep,
    maintenance_city: str | None,
    server_city: str | None,
    pack: Pack,
) -> Route:
    """Neither maintained nor served here: out of this bureau's scope, filed elsewhere."""
    city = pack.city
    steps = [maintenance_step]
    same_city = maintenance_city is not None and maintenance_city == server_city
    if not same_city:
        steps.append(_elsewhere(2, RouteWhere.SERVER, server_city, pack))
    last = steps[-1].bureau
    then_zh = "" if same_city else f"，服务器所在地另有要求的，再到{last.zh}备案"
    then_en = "" if same_city else f"; where the server's city requires it, also with {last.en}"
    days = pack.periods.filing.days
    return Route(
        False,
        tuple(steps),
        t(
            f"网站系统维护和服务器都不在{city.zh}，不属于{pack.bureau.name.zh}受理范围。"
            f"请向{maintenance_step.bureau.zh}咨询并办理备案{then_zh}。"
            f"仍需在网站开通之日起{days}日内办理备案手续。",
            f"Neither maintenance nor server is in {city.en}, so {pack.bureau.name.en} does not "
            f"accept this filing. Ask and file with {maintenance_step.bureau.en}{then_en}. "
            f"The {days}-day limit from going online still applies.",
        ),
    )


def _abroad(
    maintenance: Location,
    maintenance_city: str | None,
    server: Location,
    server_city: str | None,
    pack: Pack,
) -> Route | None:
    """A place outside the mainland (Hong Kong, Macao, Taiwan, abroad) has no 公安网安部门 to
    file with: the route keeps the mainland's place(s) only. The notice does not speak of it
    (its two-bureau order assumes a mainland city), so the advice says whose word counts.
    None: both places are on the mainland (the notice's cases)."""
    server_out = server is Location.ELSEWHERE and is_outside_mainland(server_city)
    kept_out = maintenance is Location.ELSEWHERE and is_outside_mainland(maintenance_city)
    if not server_out and not kept_out:
        return None
    name, city = pack.bureau.name, pack.city
    if server_out and kept_out:
        return Route(
            False,
            (),
            t(
                f"网站系统维护地（{maintenance_city}）和服务器（{server_city}）都在境外，"
                f"不属于{name.zh}受理范围。网站面向境内提供服务的，请向网站开办者所在地的"
                "公安网安部门咨询。",
                f"Both maintenance ({maintenance_city}) and server ({server_city}) are outside "
                f"the mainland, so {name.en} does not accept this filing. If the site serves "
                "the mainland, ask the cyber-security department where its operator is.",
            ),
        )
    outside, where = (server_city, "服务器") if server_out else (maintenance_city, "网站系统维护地")
    where_en = "the server" if server_out else "maintenance"
    other, other_city = (maintenance, maintenance_city) if server_out else (server, server_city)
    if other is Location.LOCAL:
        step = RouteStep(1, RouteWhere.LOCAL, name, pack=pack)
        in_scope = True
    else:
        kind = RouteWhere.MAINTENANCE if server_out else RouteWhere.SERVER
        step = _elsewhere(1, kind, other_city, pack)
        in_scope = False
    note = t(
        f"{where}在境外（{outside}），那里没有受理备案的公安网安部门，只需到{step.bureau.zh}"
        f"办理备案。本市通知未规定{where}在境外的情形，以{step.bureau.zh}的意见为准。",
        f"{where_en.capitalize()} is outside the mainland ({outside}), where no public "
        f"security cyber-security department takes filings: file only with {step.bureau.en}. "
        f"The city notice does not speak of this case; {step.bureau.en} has the last word.",
    )
    if in_scope:
        return Route(True, (step,), note)
    days = pack.periods.filing.days
    return Route(
        False,
        (step,),
        t(
            f"{note.zh}这不属于{name.zh}受理范围。仍需在网站开通之日起{days}日内办理备案手续。",
            f"{note.en} This is not {name.en}'s to accept ({city.en} is neither place). The "
            f"{days}-day limit from going online still applies.",
        ),
    )
