"""The interview's state machine over stages (built once, driving each state unattached)."""

from __future__ import annotations

from typing import Any

from transitions import EventData, Machine

from dialogs.model import DATA_STAGES, Context, InterviewState, Stage
from rules.enums import Location
from rules.routing import route_filing


def route_of(answers: dict[str, Any], ctx: Context) -> Any:
    """Return the routing verdict once both locations (and their cities) are answered."""
    try:
        maintenance = Location(answers["maintenance"])
        server = Location(answers["server"])
    except (KeyError, ValueError):
        return None
    if maintenance is Location.ELSEWHERE and "maintenance_city" not in answers:
        return None
    if server is Location.ELSEWHERE and "server_city" not in answers:
        return None
    key = (
        "route",
        maintenance,
        server,
        answers.get("maintenance_city") if maintenance is Location.ELSEWHERE else None,
        answers.get("server_city") if server is Location.ELSEWHERE else None,
    )
    if key not in ctx.memo:
        ctx.memo[key] = route_filing(maintenance, server, ctx.pack, key[3], key[4])
    return ctx.memo[key]


def _model(event: EventData) -> InterviewState:
    model = event.model
    assert isinstance(model, InterviewState)
    return model


def out_of_scope(event: EventData) -> bool:
    route = route_of(_model(event).answers, event.kwargs["ctx"])
    return route is not None and not route.in_scope


def editing_complete(event: EventData) -> bool:
    return bool(_model(event).editing and event.kwargs.get("complete"))


def _targets(stage: Stage) -> Any:
    def condition(event: EventData) -> bool:
        return bool(event.kwargs.get("target") == stage)

    condition.__name__ = f"asked_for_{stage.value}"
    return condition


def _transitions() -> list[dict[str, Any]]:
    flow: list[dict[str, Any]] = [
        {"trigger": "start", "source": Stage.WELCOME, "dest": Stage.SUBJECT_TYPE},
        {
            "trigger": "next",
            "source": [Stage.MAINTENANCE, Stage.SERVER],
            "dest": Stage.OUT_OF_SCOPE,
            "conditions": [out_of_scope],
        },
        {
            "trigger": "next",
            "source": list(DATA_STAGES),
            "dest": Stage.SUMMARY,
            "conditions": [editing_complete],
        },
    ]
    for here, there in zip(DATA_STAGES, (*DATA_STAGES[1:], Stage.SUMMARY), strict=True):
        flow.append({"trigger": "next", "source": here, "dest": there})
    flow.append({"trigger": "confirm", "source": Stage.SUMMARY, "dest": Stage.DONE})
    # /back and /edit go to an earlier question (or, from the summary, any): its stage.
    order = [*DATA_STAGES, Stage.OUT_OF_SCOPE, Stage.SUMMARY]
    for source in order:
        for stage in DATA_STAGES:
            earlier = DATA_STAGES.index(stage) <= order.index(source)
            if earlier or source is Stage.SUMMARY:
                flow.append(
                    {
                        "trigger": "revisit",
                        "source": source,
                        "dest": stage,
                        "conditions": [_targets(stage)],
                    }
                )
    flow.append({"trigger": "restart", "source": list(Stage), "dest": Stage.WELCOME})
    return flow


def _machine_kwargs() -> dict[str, Any]:
    return {
        "states": list(Stage),
        "transitions": _transitions(),
        "initial": Stage.WELCOME,
        "auto_transitions": False,
        "send_event": True,
        "model_attribute": "state",
    }


MACHINE = Machine(model=None, **_machine_kwargs())


def fire(state: InterviewState, trigger: str, **kwargs: Any) -> bool:
    """Fire `trigger` on `state`; False when no transition applies.

    The state is never added to the machine as a model: an event only needs the model's
    `state` attribute, while `add_model` would hang 23 convenience methods on every
    state (40% of a step's time) and mutate the shared machine from several threads.
    """
    result: bool = MACHINE.events[trigger].trigger(state, **kwargs)
    return result


def diagram(title: str = "beian interview") -> str:
    """Return the interview machine as a mermaid diagram (forward flow, /back and /edit)."""
    from transitions.extensions.diagrams import GraphMachine

    kwargs = _machine_kwargs()
    # Drawn: the forward flow and edits from the summary. Not drawn (they exist from every
    # stage): /back and /edit to an earlier stage, and /restart to the welcome.
    kwargs["transitions"] = [
        tr
        for tr in kwargs["transitions"]
        if tr["trigger"] in ("start", "next", "confirm")
        or (tr["trigger"] == "revisit" and tr["source"] in (Stage.SUMMARY, Stage.OUT_OF_SCOPE))
    ]
    graph = GraphMachine(
        model=None, graph_engine="mermaid", title=title, show_conditions=True, **kwargs
    )
    holder = InterviewState()
    graph.add_model(holder)
    source: str = holder.get_graph().source  # type: ignore[attr-defined]
    return source
