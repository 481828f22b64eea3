"""From the interview's answers (flat: one per question) to the answers schema, and back.

The answers are stored under the schema's dotted paths (`subject.responsible.name`), so the
nesting is derived from the keys, not written out; keys starting with "_" hold choices the
schema does not (who the emergency contact is) and feed the derivations of questions.yaml.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from dialogs.spec import Kind, Question, Spec, holds
from rules.answers import FilingAnswers, problem_message
from rules.consistency import Problem
from rules.security import suggestion
from rules.text import Text


def applying(answers: dict[str, Any], spec: Spec) -> dict[str, Any]:
    """Keep only the answers of questions that apply (a changed choice hides stale ones), with
    the document type of each ID number kept beside it (`id_type_key`)."""
    subject_type = answers.get("subject_type")
    kept: dict[str, Any] = {}
    for q in spec.questions:
        if q.key not in answers or not q.applies(answers):
            continue
        kept[q.key] = answers[q.key]
        id_type_key = spec.worded(q, subject_type).id_type_key
        if id_type_key is not None and answers.get(id_type_key) is not None:
            kept[id_type_key] = answers[id_type_key]
    return kept


def stored_value(question: Question, value: Any) -> Any:
    """Return what the schema stores for an interview answer (an option's value or id)."""
    if question.kind in (Kind.CHOICE, Kind.MULTI_CHOICE) and question.options:
        values = {o.id: (o.id if o.value is None else o.value) for o in question.options}
        if isinstance(value, list):
            return [values.get(v, v) for v in value]
        return values.get(value, value)
    return value


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def value_at(tree: dict[str, Any], path: str) -> Any:
    """Return the value at a dotted path of nested answers (None when absent)."""
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def to_schema(answers: dict[str, Any], spec: Spec) -> dict[str, Any]:
    """Nest the applying answers into the FilingAnswers shape (not validated yet)."""
    flat = applying(answers, spec)
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        if key.startswith("_") or (value is None and key != "connection_date"):
            continue
        question = spec.by_key.get(key)
        _put(tree, key, stored_value(question, value) if question is not None else value)
    for rule in spec.derive:
        if holds(rule.when, flat):
            for target, source in rule.copy.items():
                copied = value_at(tree, source)
                if copied is not None:
                    _put(tree, target, dict(copied) if isinstance(copied, dict) else copied)
            for target, name in rule.suggest.items():
                found = suggestion(name, flat.get("subject_type"), flat.get("website.interactive"))
                _put(tree, target, [item.zh for item in found])
    return tree


def problems_of(exc: ValidationError) -> list[Problem]:
    """Turn a validation error into problems: the schema path of each field, and why."""
    found = []
    for error in exc.errors():
        context: dict[str, Any] = error.get("ctx") or {}
        path = [str(p) for p in error["loc"]]
        if context.get("field"):
            path.append(str(context["field"]))
        message = Text(zh=problem_message(error, "zh"), en=problem_message(error, "en"))
        found.append(Problem(".".join(path), message))
    return found


def build(answers: dict[str, Any], spec: Spec) -> tuple[FilingAnswers | None, list[Problem]]:
    """Validate the answers as a filing; return it, or its problems."""
    try:
        return FilingAnswers.model_validate(to_schema(answers, spec)), []
    except ValidationError as exc:
        return None, problems_of(exc)


def question_for(field: str, spec: Spec, answers: dict[str, Any]) -> Question | None:
    """Return the question whose answer a schema field comes from (through derivations)."""
    flat = applying(answers, spec)
    for _ in range(4):  # a derived field may come from another derived one
        question = spec.by_key.get(field)
        if question is not None and question.applies(answers):
            return question
        for rule in spec.derive:
            if not holds(rule.when, flat):
                continue
            for target, source in rule.copy.items():
                if field == target or field.startswith(target + "."):
                    field = source + field[len(target) :]
                    break
            else:
                continue
            break
        else:
            return None
    return None


def derived_from(key: str, spec: Spec, answers: dict[str, Any]) -> tuple[Question, Question] | None:
    """Return the question a derived answer comes from ("the officer is the legal
    representative": the representative's), and the choice that made it derived."""
    question = spec.by_key.get(key)
    if question is None or question.applies(answers):
        return None
    flat = applying(answers, spec)
    for rule in spec.derive:
        if not holds(rule.when, flat):
            continue
        switches = [spec.by_key[k] for k in rule.when if k.startswith("_") and k in spec.by_key]
        for target, source in rule.copy.items():
            if key == target or key.startswith(target + "."):
                found = question_for(source + key[len(target) :], spec, answers)
                if found is not None and switches and found.key in answers:
                    return found, switches[0]
    return None
