"""A photo of the business licence or an ID card (issue 30): its fields shown with ✔ where a
check character validated, applied only on confirmation, each still editable; what was not
read is asked as before."""

from __future__ import annotations

from dataclasses import replace

from dialogs import texts
from dialogs.engine import handle
from dialogs.model import Context, Input, InterviewState, Mode, PhotoRead, Stage
from dialogs.photos import Photos
from dialogs.turn import Core
from rules.text import t
from tests.dialogs.conftest import Run, shown
from tests.dialogs.transcripts import ENTERPRISE, INDIVIDUAL

LICENCE = PhotoRead(
    kind="business_license",
    fields={
        "uscc": "91330106MA2B3C4D5D",
        "name": "示例云帆科技有限公司",
        "legal_representative": "林云帆",
        "address": None,  # not read
        "type": "有限责任公司（自然人投资或控股）",
        "established": "2020-05-12",
    },
    checked=("uscc",),
)
ID_CARD = PhotoRead(
    kind="id_card",
    fields={"name": "周安", "sex": "女", "id_number": "330102199001010020", "address": "示例"},
    checked=("id_number",),
)


def _at(run: Run, upto: str, transcript=ENTERPRISE) -> InterviewState:
    """Play `transcript` until the reply that asks `upto`."""
    lines = []
    for said, expected in transcript:
        lines.append((said, expected))
        if upto in (expected if isinstance(expected, str) else " ".join(expected)):
            break
    state, _, _ = run(lines)
    return state


def test_a_unit_question_says_a_licence_photo_fills_it_only_where_photos_are_read(
    run: Run, context: Context
) -> None:
    state = _at(run, "开办单位的全称")
    hinted = handle(state, Input.typed("/help"), replace(context, reads_photos=True))
    plain = handle(state, Input.typed("/help"), context)
    assert "发送营业执照照片可自动填写" in shown(hinted)
    assert "营业执照照片" not in shown(plain)


def test_a_licence_is_shown_then_applied_on_confirmation_and_the_rest_asked(
    run: Run, context: Context
) -> None:
    state = _at(run, "开办单位的全称")
    step = handle(state, Input.photographed(LICENCE), context)
    text = shown(step)
    assert step.state.mode is Mode.CONFIRMING_PHOTO
    assert "统一社会信用代码：91330106MA2B3C4D5D ✔" in text
    assert "单位名称：示例云帆科技有限公司" in text and "✔" not in text.split("单位名称")[1][:15]
    assert "法定代表人姓名：林云帆" in text
    assert "未能识别，稍后请输入：住所" in text
    assert "subject.name" not in step.state.answers  # nothing applied before the confirmation
    step = handle(step.state, Input.pressed(str(step.state.asked), "apply"), context)
    answers = step.state.answers
    assert answers["subject.name"] == "示例云帆科技有限公司"
    assert answers["subject.credential_number"] == "91330106MA2B3C4D5D"
    assert answers["subject.responsible.name"] == "林云帆"
    assert "subject.address" not in answers
    assert "已填入" in shown(step) and "通信地址" in shown(step)  # the address: asked as before
    # each item is still editable
    step = handle(step.state, Input.typed("/edit 单位名称"), context)
    step = handle(step.state, Input.typed("示例星河科技有限公司"), context)
    assert step.state.answers["subject.name"] == "示例星河科技有限公司"


def test_a_licence_declined_changes_nothing(run: Run, context: Context) -> None:
    state = _at(run, "开办单位的全称")
    step = handle(state, Input.photographed(LICENCE), context)
    step = handle(step.state, Input.typed("不用"), context)
    assert "subject.name" not in step.state.answers
    assert step.state.mode is Mode.ANSWERING
    assert "开办单位的全称" in shown(step)


def test_a_code_whose_check_character_fails_is_not_offered(run: Run, context: Context) -> None:
    state = _at(run, "开办单位的全称")
    bad = replace(LICENCE, fields={**LICENCE.fields, "uscc": "91330106MA2B3C4D5X"}, checked=())
    step = handle(state, Input.photographed(bad), context)
    assert "91330106MA2B3C4D5X" not in shown(step)
    assert "统一社会信用代码" in shown(step).split("未能识别")[1]


def test_an_id_card_fills_the_person_being_asked(run: Run, context: Context) -> None:
    state = _at(run, "网络安全负责人的姓名")
    hinted = handle(state, Input.typed("/help"), replace(context, reads_photos=True))
    # The document type is asked after the name: the hint does not take an ID card for granted
    # (a passport holder was told to send one).
    assert "持居民身份证的，可发送身份证（人像面）照片自动填写" in shown(hinted)
    step = handle(state, Input.photographed(ID_CARD), context)
    assert "证件号码：330102199001010020 ✔" in shown(step)
    step = handle(step.state, Input.typed("使用"), context)
    assert step.state.answers["security_officer.name"] == "周安"
    assert step.state.answers["security_officer.id_number"] == "330102199001010020"
    assert "subject.responsible.name" in step.state.answers  # the others' untouched
    assert "网络安全负责人的手机" in shown(step)


def test_the_id_card_hint_follows_the_document_type_chosen(run: Run, context: Context) -> None:
    reading = replace(context, reads_photos=True)
    state = _at(run, "网络安全负责人的证件号码")
    passport = handle(state, Input.typed("护照"), reading).state
    assert "照片" not in shown(handle(passport, Input.typed("/help"), reading))
    resident = handle(state, Input.typed("居民身份证"), reading).state
    assert "发送身份证（人像面）照片可自动填写" in shown(
        handle(resident, Input.typed("/help"), reading)
    )


def test_a_photo_where_it_fills_nothing_says_where_it_would(run: Run, context: Context) -> None:
    state = _at(run, "网站叫什么名字")
    step = handle(state, Input.photographed(ID_CARD), context)
    assert "这里用不上这张照片" in shown(step)
    assert step.state.mode is Mode.ANSWERING


def test_an_id_cards_back_at_a_persons_question_asks_for_the_photo_side(
    run: Run, context: Context
) -> None:
    state = _at(run, "网络安全负责人的姓名")
    back = PhotoRead(
        kind="id_card_back",
        fields={"issuer": "杭州市公安局西湖分局", "valid_from": "2016-03-01"},
    )
    step = handle(state, Input.photographed(back), context)
    assert "这是身份证的国徽面" in shown(step) and "请发送人像面" in shown(step)
    assert step.state.mode is Mode.ANSWERING and step.state.answers == state.answers
    elsewhere = handle(_at(run, "网站叫什么名字"), Input.photographed(back), context)
    assert "这里用不上这张照片" in shown(elsewhere)  # no ID card is asked for there


def test_an_unreadable_photo_says_why_and_asks_again(run: Run, context: Context) -> None:
    state = _at(run, "开办单位的全称")
    problem = PhotoRead(problem=t("照片太大（超过10 MB），请压缩后再发。", "Too large."))
    step = handle(state, Input.photographed(problem), context)
    assert "照片太大" in shown(step) and "也可以直接输入" in shown(step)
    assert "开办单位的全称" in shown(step)


def test_an_individual_fills_their_own_name_number_and_address(run: Run, context: Context) -> None:
    state = _at(run, "你的姓名", INDIVIDUAL)
    card = replace(ID_CARD, fields={**ID_CARD.fields, "address": "示例市示例区云帆路88号"})
    step = handle(state, Input.photographed(card), context)
    step = handle(step.state, Input.typed("是"), context)
    answers = step.state.answers
    assert answers["subject.name"] == "周安"
    assert answers["subject.credential_number"] == "330102199001010020"
    assert answers["subject.address"] == "示例市示例区云帆路88号"


def test_in_english_the_photo_is_offered_and_confirmed_in_english(
    run: Run, context: Context
) -> None:
    state = _at(run, "开办单位的全称")
    state.lang = "en"
    step = handle(state, Input.typed("/help"), replace(context, reads_photos=True))
    assert "Send a photo of the business licence to fill this in." in shown(step)
    step = handle(step.state, Input.photographed(LICENCE), context)
    text = shown(step)
    assert "Read from the photo of the business licence:" in text
    assert "91330106MA2B3C4D5D ✔" in text and "Use them" in text
    step = handle(step.state, Input.typed("use"), context)
    assert step.state.answers["subject.name"] == "示例云帆科技有限公司"


def test_the_terminal_asks_for_the_photos_path_and_says_no_copy_is_kept(
    run: Run, context: Context
) -> None:
    state = _at(run, "开办单位的全称")
    terminal = replace(context, reads_photos=True, buttons=False)
    step = handle(state, Input.typed("/help"), terminal)
    assert "输入营业执照照片的文件路径可自动填写" in shown(step)
    step = handle(step.state, Input.photographed(LICENCE), terminal)
    assert "没有另存副本" in shown(step) and "识别后即删除" not in shown(step)


# --- Photos alone, on a bare core -------------------------------------------------------------


def _unit_core(context: Context) -> tuple[Core, Photos]:
    state = InterviewState(
        state=Stage.SUBJECT, question="subject_name", answers={"subject_type": "enterprise"}
    )
    core = Core(state, context)
    return core, Photos(core)


def test_alone_a_licence_read_waits_for_confirmation_with_its_checked_code(
    context: Context,
) -> None:
    core, photos = _unit_core(context)
    photos.photo(LICENCE)
    assert core.s.mode is Mode.CONFIRMING_PHOTO
    assert core.s.answers == {"subject_type": "enterprise"}  # nothing applied yet
    reply = core.replies[-1]
    assert "91330106MA2B3C4D5D ✔" in reply.text and "林云帆" in reply.text
    assert [c.id for c in reply.choices] == ["apply", "discard"]


def test_alone_an_applied_licence_fills_its_answers_and_asks_what_is_left(
    context: Context,
) -> None:
    core, photos = _unit_core(context)
    photos.photo(LICENCE)
    core.resolve(Input.typed("使用"))
    answers = core.s.answers
    assert answers["subject.name"] == "示例云帆科技有限公司"
    assert answers["subject.credential_number"] == "91330106MA2B3C4D5D"
    assert answers["subject.responsible.name"] == "林云帆"
    assert "subject.address" not in answers  # not read: asked
    assert core.s.mode is Mode.ANSWERING and core.s.question == "address"
    assert texts.PHOTO_APPLIED.zh in shown(core.step())


def test_alone_a_photo_at_the_subject_type_is_not_read(context: Context) -> None:
    core = Core(InterviewState(state=Stage.SUBJECT_TYPE, question="subject_type"), context)
    Photos(core).photo(LICENCE)
    assert core.s.mode is Mode.ANSWERING and core.s.photo is None
    assert core.replies[-1].text.startswith(texts.PLEASE_ANSWER.zh)
