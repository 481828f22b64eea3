"""The filing lifecycle as a state machine: which event moves a filing from which status.
Its transitions are derived from the event types (`rules.events`: each declares its
`sources` and `dest`), so an event's move is written once, on its class."""

from __future__ import annotations

from typing import Any

from transitions import Machine

from rules.enums import FilingStatus as S
from rules.events import EVENT_TYPES, FilingEvent

__all__ = ["LIFECYCLE", "FilingEvent", "allowed_events", "lifecycle_diagram", "next_status"]


def _transitions() -> list[dict[str, Any]]:
    """One transition per event type (one that keeps the status is reflexive, "="), and one
    per source its `dest_from` sends elsewhere."""
    found = []
    for name, kind in EVENT_TYPES.items():
        usual = [s for s in kind.sources if s not in kind.dest_from]
        found.append({"trigger": name, "source": usual, "dest": kind.dest or "="})
        found += [
            {"trigger": name, "source": [source], "dest": dest}
            for source, dest in kind.dest_from.items()
        ]
    return found


def _kwargs() -> dict[str, Any]:
    return {
        "states": list(S),
        "transitions": _transitions(),
        "initial": S.PREPARED,
        "auto_transitions": False,
    }


LIFECYCLE = Machine(model=None, **_kwargs())


def next_status(current: S, event: str) -> S | None:
    """Return where the event named `event` takes a filing in `current`, or None when it
    does not apply."""
    found = LIFECYCLE.get_transitions(trigger=str(event), source=current.name)
    dest = found[0].dest if found else None
    return S[dest] if dest is not None else None


def allowed_events(current: S) -> list[str]:
    """Return the names of the events that apply to a filing in `current`, in lifecycle
    order."""
    return [e for e in EVENT_TYPES if next_status(current, e) is not None]


def lifecycle_diagram(title: str = "beian filing lifecycle") -> str:
    """Return the lifecycle machine as a mermaid diagram."""
    from transitions.extensions.diagrams import GraphMachine

    class _Holder:
        state: S = S.PREPARED

    graph = GraphMachine(model=None, graph_engine="mermaid", title=title, **_kwargs())
    holder = _Holder()
    graph.add_model(holder)
    source: str = holder.get_graph().source  # type: ignore[attr-defined]
    return source
