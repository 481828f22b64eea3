"""The interview's two state machines, built once, driving each state unattached.

The stage machine moves through the parts of the conversation (`Stage`); the mode machine
says what the interview waits for within a part (`Mode`): an answer, more values of a list,
a confirmation, a choice of item to change, a resumption. Every move of either is an event
here, so `beian diagrams` draws every mode. An event that does not apply raises
(`MachineError`): a turn that tries one is a bug, not a user's mistake.
"""

from __future__ import annotations

from typing import Any

from transitions import EventData, Machine, MachineError

from dialogs.model import DATA_STAGES, InterviewState, Mode, Stage


def _model(event: EventData) -> InterviewState:
    model = event.model
    assert isinstance(model, InterviewState)
    return model


def out_of_scope(event: EventData) -> bool:
    """The routing answers say neither maintenance nor server is in this city."""
    return bool(event.kwargs.get("out_of_scope"))


def _targets(stage: Stage) -> Any:
    def condition(event: EventData) -> bool:
        return bool(event.kwargs.get("target") == stage)

    condition.__name__ = f"to_{stage.value}"
    return condition


def _stage_transitions() -> list[dict[str, Any]]:
    flow: list[dict[str, Any]] = [
        {"trigger": "start", "source": Stage.WELCOME, "dest": Stage.SUBJECT_TYPE},
        {
            "trigger": "next",
            "source": [Stage.MAINTENANCE, Stage.SERVER],
            "dest": Stage.OUT_OF_SCOPE,
            "conditions": [out_of_scope],
        },
    ]
    for here, there in zip(DATA_STAGES, (*DATA_STAGES[1:], Stage.SUMMARY), strict=True):
        flow.append({"trigger": "next", "source": here, "dest": there})
    # Everything answered (after an edit, or a /back): straight back to the summary.
    flow.append({"trigger": "review", "source": list(DATA_STAGES), "dest": Stage.SUMMARY})
    flow.append({"trigger": "confirm", "source": Stage.SUMMARY, "dest": Stage.DONE})
    # A filing returned for rectification: its answers reopen at the summary to be fixed.
    flow.append({"trigger": "amend", "source": Stage.DONE, "dest": Stage.SUMMARY})
    # A change or an amendment given up: the confirmed answers stand, done again (from out of
    # scope too: an edit that moved both the maintenance and the server elsewhere).
    flow.append(
        {
            "trigger": "abandon",
            "source": [*DATA_STAGES, Stage.OUT_OF_SCOPE, Stage.SUMMARY],
            "dest": Stage.DONE,
        }
    )
    # /back, /edit and a fix the checks ask for go to an earlier question (from the summary or
    # out of scope: any): its stage.
    order = [*DATA_STAGES, Stage.OUT_OF_SCOPE, Stage.SUMMARY]
    for source in order:
        for stage in DATA_STAGES:
            earlier = DATA_STAGES.index(stage) <= order.index(source)
            if earlier or source in (Stage.SUMMARY, Stage.OUT_OF_SCOPE):
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


_ASIDES = [
    Mode.COLLECTING,
    Mode.CHOOSING_ITEM,
    Mode.CHANGING_LIST,
    Mode.REMOVING_ITEMS,
    Mode.OFFERING_EDIT,
    Mode.CONFIRMING_PLAN,
    Mode.CHANGE_REASON,
    Mode.CONFIRMING_CHANGE,
    Mode.OFFERING_PREVIOUS,
    Mode.SUGGESTING,
    Mode.CONFIRMING_PHOTO,
]


def _mode_transitions() -> list[dict[str, Any]]:
    waiting = [Mode.ANSWERING, *_ASIDES]
    return [
        {"trigger": "collect", "source": Mode.ANSWERING, "dest": Mode.COLLECTING},
        {"trigger": "ask_cancel", "source": waiting, "dest": Mode.CONFIRMING_CANCEL},
        {"trigger": "ask_restart", "source": waiting, "dest": Mode.CONFIRMING_RESTART},
        # "Start over" at the resume offer with answers kept: asked once more, as /restart is.
        {"trigger": "ask_restart", "source": Mode.OFFERING_RESUME, "dest": Mode.CONFIRMING_RESTART},
        {"trigger": "pause", "source": Mode.CONFIRMING_CANCEL, "dest": Mode.PAUSED},
        {"trigger": "wake", "source": Mode.PAUSED, "dest": Mode.OFFERING_RESUME},
        {"trigger": "offer_resume", "source": Mode.ANSWERING, "dest": Mode.OFFERING_RESUME},
        {"trigger": "choose_item", "source": waiting, "dest": Mode.CHOOSING_ITEM},
        {
            "trigger": "change_list",
            "source": [Mode.ANSWERING, Mode.CHOOSING_ITEM],
            "dest": Mode.CHANGING_LIST,
        },
        {"trigger": "add_to_list", "source": Mode.CHANGING_LIST, "dest": Mode.COLLECTING},
        {"trigger": "remove_from_list", "source": Mode.CHANGING_LIST, "dest": Mode.REMOVING_ITEMS},
        {"trigger": "offer_edit", "source": waiting, "dest": Mode.OFFERING_EDIT},
        {"trigger": "confirm_plan", "source": Mode.ANSWERING, "dest": Mode.CONFIRMING_PLAN},
        {"trigger": "offer_previous", "source": Mode.ANSWERING, "dest": Mode.OFFERING_PREVIOUS},
        {"trigger": "suggest", "source": Mode.ANSWERING, "dest": Mode.SUGGESTING},
        {"trigger": "confirm_photo", "source": Mode.ANSWERING, "dest": Mode.CONFIRMING_PHOTO},
        {"trigger": "ask_change_reason", "source": Mode.ANSWERING, "dest": Mode.CHANGE_REASON},
        {"trigger": "confirm_change", "source": Mode.CHANGE_REASON,
         "dest": Mode.CONFIRMING_CHANGE},
        # Back to the question: the aside is answered, declined, or done.
        {
            "trigger": "settle",
            "source": [*_ASIDES, Mode.CONFIRMING_CANCEL, Mode.CONFIRMING_RESTART,
                       Mode.OFFERING_RESUME],
            "dest": Mode.ANSWERING,
        },
        {"trigger": "reset", "source": list(Mode), "dest": Mode.ANSWERING},
    ]  # fmt: skip


def _stage_kwargs() -> dict[str, Any]:
    return {
        "states": list(Stage),
        "transitions": _stage_transitions(),
        "initial": Stage.WELCOME,
        "auto_transitions": False,
        "send_event": True,
        "model_attribute": "state",
    }


def _mode_kwargs() -> dict[str, Any]:
    return {
        "states": list(Mode),
        "transitions": _mode_transitions(),
        "initial": Mode.ANSWERING,
        "auto_transitions": False,
        "send_event": True,
        "model_attribute": "mode",
    }


STAGES = Machine(model=None, **_stage_kwargs())
MODES = Machine(model=None, **_mode_kwargs())


def _fire(machine: Machine, state: InterviewState, trigger: str, **kwargs: Any) -> None:
    # The state is never added to the machine as a model: an event only needs the model's
    # attribute, while `add_model` hangs 23 convenience methods on every state (40% of a
    # step's time) and mutates the shared machine from several threads.
    if not machine.events[trigger].trigger(state, **kwargs):
        attribute = machine.model_attribute
        raise MachineError(f"{trigger} does not apply in {getattr(state, attribute)}")


def move(state: InterviewState, trigger: str, **kwargs: Any) -> None:
    """Fire a stage event on `state`; raise MachineError when it does not apply."""
    _fire(STAGES, state, trigger, **kwargs)


def switch(state: InterviewState, trigger: str) -> None:
    """Fire a mode event on `state`; raise MachineError when it does not apply."""
    _fire(MODES, state, trigger)


def _draw(kwargs: dict[str, Any], title: str, model: InterviewState) -> str:
    from transitions.extensions.diagrams import GraphMachine

    graph = GraphMachine(
        model=None, graph_engine="mermaid", title=title, show_conditions=True, **kwargs
    )
    graph.add_model(model)
    source: str = model.get_graph().source  # type: ignore[attr-defined]
    return source


def diagram(title: str = "beian interview: stages") -> str:
    """Return the stage machine as a mermaid diagram (forward flow, /back and /edit)."""
    kwargs = _stage_kwargs()
    # Drawn: the forward flow, and revisits from the summary. Not drawn (they exist from every
    # stage): /back and /edit to an earlier stage, review, and /restart to the welcome.
    kwargs["transitions"] = [
        tr
        for tr in kwargs["transitions"]
        if tr["trigger"] in ("start", "next", "confirm")
        or (tr["trigger"] == "revisit" and tr["source"] in (Stage.SUMMARY, Stage.OUT_OF_SCOPE))
    ]
    return _draw(kwargs, title, InterviewState())


def mode_diagram(title: str = "beian interview: modes") -> str:
    """Return the mode machine as a mermaid diagram (every mode and every move)."""
    kwargs = _mode_kwargs()
    kwargs["transitions"] = [tr for tr in kwargs["transitions"] if tr["trigger"] != "reset"]
    return _draw(kwargs, title, InterviewState())
