"""Editing, alone on a bare core (with the answering it stores through): /edit finds the item
by label, section or synonym, asks when several match, and changes a list item by item."""

from __future__ import annotations

from dialogs import texts
from dialogs.answering import Answering
from dialogs.asking import BACK_TO_SUMMARY, DONE, SECTION_PREFIX
from dialogs.editing import Editing
from dialogs.model import Context, Input, InterviewState, Mode, Stage
from dialogs.turn import Core
from tests.dialogs.parts import at_summary, said


def _editing(context: Context, state: InterviewState | None = None) -> tuple[Core, Editing]:
    core = Core(state or at_summary(context), context)
    return core, Editing(core, Answering(core))


def test_an_item_named_once_is_asked_again_with_its_answer(context: Context) -> None:
    core, editing = _editing(context)
    editing.edit("网站名称")
    assert core.s.question == "site_name" and core.s.state is Stage.WEBSITE
    assert core.s.mode is Mode.ANSWERING
    assert "当前答案：云帆科技官网" in said(core)


def test_a_name_several_items_share_asks_which_one(context: Context) -> None:
    core, editing = _editing(context)
    editing.edit("手机")
    assert core.s.mode is Mode.CHOOSING_ITEM
    assert core.s.choices == ["rep_mobile", "officer_mobile", "contact_mobile"]
    reply = core.replies[-1]
    assert reply.text == texts.EDIT_WHICH.format(name="手机").zh
    assert [c.id for c in reply.choices] == [*core.s.choices, BACK_TO_SUMMARY]
    core.resolve(Input.typed("2"))
    assert core.s.mode is Mode.ANSWERING and core.s.question == "officer_mobile"


def test_edit_alone_offers_the_answered_sections_then_their_items(context: Context) -> None:
    core, editing = _editing(context)
    editing.edit("")
    assert texts.EDIT_PICK.zh in said(core)
    section = SECTION_PREFIX + Stage.PEOPLE.value
    assert section in (core.s.choices or [])
    core.resolve(Input(choice=section))
    assert core.s.mode is Mode.CHOOSING_ITEM
    people = [q.id for q in core.spec.questions if q.stage is Stage.PEOPLE]
    assert core.s.choices and set(core.s.choices) <= set(people)


def test_an_unknown_name_is_said_and_the_sections_offered(context: Context) -> None:
    core, editing = _editing(context)
    editing.edit("火星地址")
    assert texts.EDIT_UNKNOWN.format(name="火星地址").zh in said(core)
    assert core.s.mode is Mode.CHOOSING_ITEM


def test_nothing_answered_has_nothing_to_edit(context: Context) -> None:
    state = InterviewState(state=Stage.SUBJECT_TYPE, question="subject_type")
    core, editing = _editing(context, state)
    editing.edit("域名")
    assert texts.NOTHING_TO_EDIT.zh in said(core) and core.s.mode is Mode.ANSWERING


def test_a_list_item_is_removed_and_the_rest_stored(context: Context) -> None:
    core, editing = _editing(context)
    editing.edit("域名")
    assert core.s.mode is Mode.CHANGING_LIST
    assert "域名目前是：www.yunfan.example.cn、yunfan.example.cn" in said(core)
    core.resolve(Input.typed("删除"))
    assert core.s.mode is Mode.REMOVING_ITEMS
    core.resolve(Input(choice="0"))  # a tap marks it
    assert core.s.collecting == ["0"] and core.replies[-1].in_place
    core.resolve(Input(choice=DONE))
    assert core.s.answers["website.domains"] == ["yunfan.example.cn"]
    assert core.s.mode is Mode.ANSWERING


def test_removing_every_item_is_refused(context: Context) -> None:
    core, editing = _editing(context)
    editing.edit("域名")
    core.resolve(Input.typed("删除"))
    core.resolve(Input.typed("1、2"))
    assert texts.REMOVE_ALL.zh in said(core)
    assert core.s.answers["website.domains"] == ["www.yunfan.example.cn", "yunfan.example.cn"]
