"""Answering: an input becomes the current question's answer (typed or pressed, one value or
a list), or a refusal with the reason and an example; then the interview moves on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dialogs import notices, texts
from dialogs.asking import DONE, KEEP, SKIP
from dialogs.machine import move, switch
from dialogs.matching import match_option, match_options
from dialogs.model import DATA_STAGES, Input, Mode, Stage
from dialogs.reading import read_one, read_text_answer, too_many
from dialogs.spec import Kind, Option, Question, normalize
from dialogs.turn import Part
from rules.codes import ID_EXAMPLES
from rules.fields import check_credential
from rules.place_typos import closest_places
from rules.routing import is_this_city
from rules.text import Text

_KEEP_WORDS = {normalize(w) for w in ("保留", "保留原答案", "不变", "不改", "keep", "same")}
_DONE_WORDS = {
    normalize(w)
    for w in ("完成", "好了", "就这些", "没有了", "没了", "done", "finish", "that's all")
}
_ROUTING = (Stage.MAINTENANCE, Stage.SERVER)
_LOCATION_OF_CITY = {"maintenance_city": "maintenance", "server_city": "server"}


class Answering(Part):
    """Turn an input into the current question's answer."""

    def answer(self, inp: Input) -> None:
        q = self.core.question()
        if q is None:  # a question removed in a newer version: carry on from the next one
            self.core.advance(None)
            return
        if inp.choice is not None:
            self.answer_pressed(q, inp.choice)
            return
        text = inp.text or ""
        word = normalize(text)
        if word in _KEEP_WORDS and q.key in self.s.answers and self.s.mode is Mode.ANSWERING:
            self.keep(q)
        elif word in _DONE_WORDS:
            if q.kind in (Kind.MULTI, Kind.MULTI_CHOICE):
                self.finish_collecting(q)
            else:  # "done" after a list is not the answer to the next question
                self.core.ask([texts.NOT_COLLECTING.fill(self.lang, text=text.strip())])
        elif q.id_type_key and (kind := match_option(text, q.options, strict=True)) is not None:
            self.set_id_type(q, kind)
        elif q.kind in (Kind.CHOICE, Kind.YESNO):
            self.answer_choice(q, text)
        elif q.kind is Kind.MULTI_CHOICE:
            self.answer_choices(q, text)
        elif q.kind is Kind.DATE:
            self.answer_date(q, text)
        else:
            self.answer_text(q, text)

    def answer_pressed(self, q: Question, choice: str) -> None:
        if choice == KEEP and q.key in self.s.answers:
            self.keep(q)
        elif choice == SKIP:
            self.skip()
        elif choice == DONE:
            self.finish_collecting(q)
        elif q.id_type_key and (kind := _option(q.options, choice)) is not None:
            self.set_id_type(q, kind)
        elif (option := _option(q.options, choice)) is None:
            self.invalid(q, texts.CHOICE_AGAIN)
        elif q.kind is Kind.MULTI_CHOICE:
            self.toggle(q, option.id, in_place=True)
        elif q.kind is Kind.DATE:
            self.store(q, None, echo=option.label)
        else:
            self.store(q, _value(q, option), echo=option.label)

    def answer_choice(self, q: Question, text: str) -> None:
        yes_no = q.kind is Kind.YESNO
        option = match_option(text, q.options, strict=yes_no)
        if option is None:
            self.refuse_choice(q, text, texts.YES_OR_NO if yes_no else None)
            return
        self.store(q, _value(q, option), echo=option.label)

    def refuse_choice(self, q: Question, text: str, reason: Text | None = None) -> None:
        sep = "、" if self.lang == "zh" else ", "
        listed = sep.join(f"{i}. {o.label.get(self.lang)}" for i, o in enumerate(q.options, 1))
        message = reason or texts.NOT_AN_OPTION.format(text=text.strip()[:40], options=listed)
        self.core.ask([message.get(self.lang)])

    def answer_choices(self, q: Question, text: str) -> None:
        picked, unplaced = match_options(text, q.options)
        if unplaced is not None or not picked:
            self.refuse_choice(q, unplaced or text)
            return
        ids = [o.id for o in picked]
        if len(ids) == 1:
            self.toggle(q, ids[0])  # one at a time, as the buttons do: gather until 完成
            return
        merged = _merged(self.s.collecting, ids)
        self.store(q, merged, echo_list=True)

    def toggle(self, q: Question, option_id: str, *, in_place: bool = False) -> None:
        if self.s.mode is Mode.ANSWERING:
            switch(self.s, "collect")
            self.s.collecting = []
        collected = self.s.collecting if self.s.collecting is not None else []
        if option_id in collected:
            collected.remove(option_id)
        elif q.max_items is not None and len(collected) >= q.max_items:
            self.core.ask(
                [texts.INVALID.fill(self.lang, reason=too_many(q.max_items).get(self.lang))]
            )
            return
        else:
            collected.append(option_id)
        self.s.collecting = collected
        self.core.in_place = in_place
        self.core.ask()

    def answer_date(self, q: Question, text: str) -> None:
        option = match_option(text, q.options, strict=True)
        if option is not None:
            self.store(q, None, echo=option.label)
            return
        parsed = read_text_answer(text, q, self.s.answers, self.ctx.today)
        if not parsed.ok:
            assert parsed.error is not None
            self.invalid(q, parsed.error)
            return
        when = dt.date.fromisoformat(parsed.value)
        if q.key == "connection_date" and when > self.ctx.today:
            switch(self.s, "confirm_plan")
            self.s.pending_text = parsed.value
            self.core.ask()
            return
        self.store(
            q, parsed.value, echo=Text(zh=notices.day(when, "zh"), en=notices.day(when, "en"))
        )

    def answer_text(self, q: Question, text: str) -> None:
        if q.key in _LOCATION_OF_CITY and is_this_city(text, self.ctx.pack):
            self.this_city(q)
            return
        parsed = read_text_answer(text, q, self.s.answers, self.ctx.today)
        if not parsed.ok and q.check == "city" and self.s.mode is Mode.ANSWERING:
            names = closest_places(text)
            if names:  # 航州: 杭州、沧州…, to pick
                switch(self.s, "suggest")
                self.s.choices, self.s.pending_text = names, text.strip()
                self.core.ask()
                return
        if not parsed.ok:
            assert parsed.error is not None
            self.invalid(q, parsed.error)
            return
        if q.kind is not Kind.MULTI:
            self.store(q, parsed.value)
            return
        values: list[Any] = parsed.value
        if not values:  # an optional list answered "none"
            self.store(q, [])
            return
        merged = _merged(self.s.collecting, values)
        if q.max_items is not None and len(merged) > q.max_items:
            self.invalid(q, too_many(q.max_items))
            return
        if len(values) == 1 and self.s.mode is Mode.ANSWERING and q.gather:
            switch(self.s, "collect")
            self.s.collecting = merged
            self.core.ask()
            return
        if self.s.mode is Mode.COLLECTING:
            self.s.collecting = merged
            self.core.ask()
            return
        self.store(q, merged, echo_list=True)

    def this_city(self, q: Question) -> None:
        """ "Elsewhere", then this city's name: the location is this city (one bureau, once)."""
        location = self.spec.by_key[_LOCATION_OF_CITY[q.key]]
        local = _option(location.options, "local")
        assert local is not None
        self.s.answers.pop(q.key, None)
        city = self.ctx.pack.city.get(self.lang)
        self.core.say(texts.THIS_CITY.fill(self.lang, city=city, label=local.label.get(self.lang)))
        self.store(location, _value(location, local))

    def set_id_type(self, q: Question, kind: Option) -> None:
        assert q.id_type_key is not None
        # The number stays, offered to keep: checked against the type when kept (a tap on the
        # wrong type lost a passport number, and the type tapped back found nothing).
        self.s.answers[q.id_type_key] = kind.id
        self.core.ask([texts.ID_TYPE_SET.fill(self.lang, type=kind.label.get(self.lang))])

    def finish_collecting(self, q: Question) -> None:
        if self.s.collecting:
            self.store(q, list(self.s.collecting), echo_list=True)
        elif q.key in self.s.answers:
            self.keep(q)
        elif q.optional:
            self.store(q, [])
        else:
            self.invalid(q, texts.NEED_ONE)

    def invalid(self, q: Question, reason: Text) -> None:
        lines = [texts.INVALID.fill(self.lang, reason=reason.get(self.lang))]
        shown = q.example.get(self.lang)
        if q.id_type_key:  # the example of the document type chosen
            shown = ID_EXAMPLES.get(str(self.s.answers.get(q.id_type_key)), shown)
        example = texts.EXAMPLE.fill(self.lang, example=shown)
        lines.append(texts.TRY_AGAIN.fill(self.lang, example=example))
        self.core.ask(lines)

    def keep(self, q: Question) -> None:
        if q.id_type_key:  # the number kept must be one of the document type chosen now
            kept = read_one(str(self.s.answers.get(q.key, "")), q, self.s.answers, self.ctx.today)
            if not kept.ok:
                self.invalid(q, kept.error or texts.CHOICE_AGAIN)
                return
        if self.s.mode is Mode.COLLECTING:
            switch(self.s, "settle")
        self.s.collecting = None
        self.core.record(q)
        self.after_answer(q)

    def skip(self) -> None:
        q = self.core.question()
        if self.s.state not in DATA_STAGES or q is None:
            self.core.ask()
            return
        if not q.optional:
            self.core.say(texts.NOT_OPTIONAL)
            self.core.ask()
            return
        self.store(q, [] if q.kind is Kind.MULTI else None)

    def store(
        self, q: Question, value: Any, echo: Text | None = None, echo_list: bool = False
    ) -> None:
        old = self.s.answers.get(q.key, object())
        self.s.answers[q.key] = value
        if self.s.mode is Mode.COLLECTING:
            switch(self.s, "settle")
        self.s.collecting = None
        self.s.last_ref = (
            self.core.ref
        )  # an edit of this message may later be offered as the answer
        if echo is not None:
            self.core.say(texts.CHOSEN.fill(self.lang, label=echo.get(self.lang)))
        elif echo_list and isinstance(value, list) and value:
            from dialogs.review import show_value

            shown = show_value(q, value, self.lang, self.s.answers)
            self.core.say(texts.LIST_KEPT.fill(self.lang, values=shown))
        if q.key == "subject_type" and old is not None and old != value:
            self._subject_type_changed(old, value)
        self.core.record(q)
        self.after_answer(q)

    def _record(self, q: Question) -> None:
        if not self.s.history or self.s.history[-1] != q.id:
            self.s.history.append(q.id)

    def _subject_type_changed(self, old: object, new: object) -> None:
        """Between a person and a unit the subject's answers mean other things (a home address
        is not a unit's, the person is not its representative): they are asked again, and who
        the officer and the contact are; between two kinds of unit the credential is checked."""
        if (old == "individual") == (new == "individual"):
            self._recheck_credential()
            return
        forgotten = [k for k in self.s.answers if k.startswith("subject.")]
        forgotten += [k for k in ("_officer_same", "_contact") if k in self.s.answers]
        for key in forgotten:
            del self.s.answers[key]
        if forgotten:
            self.core.say(texts.SUBJECT_AGAIN)

    def _recheck_credential(self) -> None:
        """A changed subject type may make the stored credential or name the wrong kind."""
        answers = self.s.answers
        number = answers.get("subject.credential_number")
        if number is None:
            return
        subject_type = answers.get("subject_type")
        if subject_type == "individual" or not check_credential(number, subject_type).valid:
            answers.pop("subject.credential_number", None)
            answers.pop("subject.name", None)

    def after_answer(self, q: Question) -> None:
        if q.key == "subject_type" and self.offers_previous():
            switch(self.s, "offer_previous")
            self.core.ask()
            return
        if q.stage in _ROUTING and self._routing_settled():
            route = notices.route_of(self.s.answers, self.ctx)
            assert route is not None
            changing = self.s.changing_from is not None and not self.s.amending and route.in_scope
            say = notices.change_verdict if changing else notices.verdict
            self.core.say(say(route, self.lang))
            if not route.in_scope:
                move(self.s, "next", out_of_scope=True)  # from the routing stage just answered
                self.s.question = None
                self.core.ask()
                return
        if q.key in ("connection_date", "planned_online_date"):
            self.core.say(notices.deadline_notice(self.s.answers, self.ctx, self.lang))
        self.core.advance(q)

    def offers_previous(self) -> bool:
        """/new after a filing: its unit and people fit this subject type, nothing is entered."""
        reuse = self.s.reuse
        if not reuse or reuse.get("subject_type") != self.s.answers.get("subject_type"):
            return False
        return not any(key in self.s.answers for key in reuse if key != "subject_type")

    def _routing_settled(self) -> bool:
        """The routing questions are answered (then the verdict shows)."""
        if notices.route_of(self.s.answers, self.ctx) is None:
            return False
        return not any(m.stage in _ROUTING for m in self.core.missing())

    def reanswer(self, qid: str, text: str) -> None:
        """Answer an earlier question again with `text`, then go on from where we were."""
        q = self.core.question(qid)
        if q is None:
            self.core.ask()
            return
        self.s.collecting = None
        self.core.go_to(q)
        self.answer(Input.typed(text))


def _option(options: tuple[Option, ...], choice: str) -> Option | None:
    return next((o for o in options if o.id == choice), None)


def _value(q: Question, option: Option) -> Any:
    """Return what an option stores in the interview's answers (a yes/no as a bool)."""
    if q.kind is Kind.YESNO:
        return option.id == "yes"
    return option.id


def _merged(collected: list[Any] | None, values: list[Any]) -> list[Any]:
    """Return the values gathered so far with the new ones after them (no repeats)."""
    merged = list(collected or [])
    return merged + [v for v in values if v not in merged]
