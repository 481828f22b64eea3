"""The "usual build" of beian's first questions: a `ConversationHandler` on `PicklePersistence`.

What a PTB 22 tutorial bot would be for the same interview: one conversation state per
question, the answer stored in `context.user_data`, the next question sent as the reply (with a
reply keyboard where beian's question offers choices), `persistent=True` and a name, and the
whole `Application` persisted by `PicklePersistence(filepath, update_interval=...)` with its
defaults otherwise (`single_file=True`, `on_flush=False`: every `update_*` call the
`Application` makes writes the whole file).

The questions, their texts, their stages and the words a choice accepts are read from beian's
own `dialogs/questions.yaml`, so the answers the benchmarks type (`bench.bench_telegram.ANSWERS`)
are answers here too. Not carried over: beian's route and deadline notes, its rules checks
(unit names, credit codes), /back, /edit, languages, signed inline buttons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    ExtBot,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.request import BaseRequest

QUESTIONS_YAML = Path(__file__).resolve().parents[2] / "dialogs" / "questions.yaml"
CONVERSATION_NAME = "interview"
DEFAULT_UPDATE_INTERVAL = 60.0  # PTB's default for every BasePersistence

# One conversation state per question (the ones bench.bench_telegram.ANSWERS answer, and the
# two a different choice would lead to).
(
    SUBJECT_TYPE,
    MAINTENANCE,
    MAINTENANCE_CITY,
    SERVER,
    SERVER_CITY,
    CONNECTION_DATE,
    SUBJECT_NAME,
    CREDENTIAL,
) = range(8)
STATE_OF = {
    "subject_type": SUBJECT_TYPE,
    "maintenance": MAINTENANCE,
    "maintenance_city": MAINTENANCE_CITY,
    "server": SERVER,
    "server_city": SERVER_CITY,
    "connection_date": CONNECTION_DATE,
    "subject_name": SUBJECT_NAME,
    "credential": CREDENTIAL,
}
# The labels beian shows for the choices (rules/materials.py; 本市 without the pack's city).
LABELS = {
    "government": "政府机关、事业单位",
    "enterprise": "企业",
    "individual": "个人",
    "social_org": "社会团体",
    "other": "其他",
    "local": "本市",
    "elsewhere": "外地",
    "not_online": "网站还没有开通",
}

Context = ContextTypes.DEFAULT_TYPE
UsualApplication = Application[Any, Any, Any, Any, Any, Any]
Callback = Callable[[Update, Context], Coroutine[Any, Any, int | None]]


@dataclass(frozen=True)
class Question:
    """One question of the interview as this bot asks it."""

    id: str
    key: str  # where its answer goes in user_data
    kind: str  # choice, date, text
    text: str  # the stage header and the prompt, as beian shows them
    choices: dict[str, str]  # a word the applicant may type → the option's id
    labels: tuple[str, ...]  # the reply keyboard's buttons
    max_length: int


def _words(option: dict[str, Any]) -> Iterable[str]:
    yield option["id"]
    yield LABELS.get(option["id"], "")
    if "label" in option:
        yield option["label"]["zh"]
    yield from option.get("synonyms", [])


def load_questions(path: Path = QUESTIONS_YAML) -> dict[str, Question]:
    """Read the questions this bot asks from beian's questions file."""
    # The C loader, as dialogs/spec.py reads it (the pure-Python one rejects its flow maps).
    spec = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    stages = [stage["id"] for stage in spec["stages"]]
    stage_labels = {stage["id"]: stage["label"]["zh"] for stage in spec["stages"]}
    sets = spec["option_sets"]
    found: dict[str, Question] = {}
    for raw in spec["questions"]:
        if raw["id"] not in STATE_OF:
            continue
        options = raw.get("options", [])
        if isinstance(options, str):
            options = sets[options]
        choices = {
            word.lower(): option["id"]
            for option in options
            for word in _words(option)
            if word and "{" not in word
        }
        stage = raw["stage"]
        header = f"第{stages.index(stage) + 1}/{len(stages)}步 · {stage_labels[stage]}"
        found[raw["id"]] = Question(
            id=raw["id"],
            key=raw["key"],
            kind=raw.get("kind", "text"),
            text=f"{header}\n{raw['prompt']['zh']}",
            choices=choices,
            labels=tuple(LABELS[option["id"]] for option in options),
            max_length=int(raw.get("max_length", 200)),
        )
    return found


QUESTIONS = load_questions()


def next_question(question_id: str, value: str) -> str | None:
    """Return the id of the question after this answer (None: the part benchmarked ends)."""
    if question_id == "maintenance":
        return "maintenance_city" if value == "elsewhere" else "server"
    if question_id == "server":
        return "server_city" if value == "elsewhere" else "connection_date"
    return {
        "subject_type": "maintenance",
        "maintenance_city": "server",
        "server_city": "connection_date",
        "connection_date": "subject_name",
        "subject_name": "credential",
    }.get(question_id)


async def ask(update: Update, question_id: str, prefix: str = "") -> int:
    """Send a question (with its buttons as a reply keyboard); return its state."""
    question = QUESTIONS[question_id]
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove
    if question.labels:
        markup = ReplyKeyboardMarkup(
            [list(question.labels)], one_time_keyboard=True, resize_keyboard=True
        )
    else:
        markup = ReplyKeyboardRemove()
    message = update.effective_message
    assert message is not None
    await message.reply_text(prefix + question.text, reply_markup=markup)
    return STATE_OF[question_id]


def read(question: Question, text: str) -> str | None:
    """Read a typed answer: the option's id, an ISO date, or the text; None if not an answer."""
    text = text.strip()
    if question.kind == "choice":
        return question.choices.get(text.lower())
    if question.kind == "date":
        if text.lower() in question.choices:
            return question.choices[text.lower()]
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    return text if 0 < len(text) <= question.max_length else None


def answer_handler(question_id: str) -> Callback:
    """The handler of one state: store the answer in user_data, ask the next question."""
    question = QUESTIONS[question_id]

    async def on_answer(update: Update, context: Context) -> int | None:
        message = update.effective_message
        assert message is not None
        assert context.user_data is not None
        value = read(question, message.text or "")
        if value is None:
            await ask(update, question_id, prefix="没看懂这个回答，请再试一次。\n\n")
            return None  # stay in this state
        context.user_data[question.key] = value
        following = next_question(question_id, value)
        if following is None:
            await message.reply_text("谢谢！（本基准只到这里）", reply_markup=ReplyKeyboardRemove())
            return ConversationHandler.END
        return await ask(update, following, prefix=f"✔ {LABELS.get(value, value)}\n\n")

    return on_answer


async def start(update: Update, context: Context) -> int:
    """/start: a new interview from its first question."""
    assert context.user_data is not None
    context.user_data.clear()
    return await ask(update, "subject_type")


async def cancel(update: Update, context: Context) -> int:
    """/cancel: end the interview and forget its answers."""
    assert context.user_data is not None
    context.user_data.clear()
    message = update.effective_message
    assert message is not None
    await message.reply_text("已取消。", reply_markup=ReplyKeyboardRemove())
    return ConversationHandler.END


def interview_handler() -> ConversationHandler[Any]:
    """The interview: one state per question, persistent, keyed per chat and user."""
    typed = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={
            state: [MessageHandler(typed, answer_handler(question_id))]
            for question_id, state in STATE_OF.items()
        },
        fallbacks=[CommandHandler("cancel", cancel), CommandHandler("start", start)],
        name=CONVERSATION_NAME,
        persistent=True,
    )


def build_usual_application(
    filepath: Path,
    token: str,
    *,
    update_interval: float = DEFAULT_UPDATE_INTERVAL,
    request: BaseRequest | None = None,
) -> UsualApplication:
    """Build the usual bot: PicklePersistence at `filepath`, the interview handler, no updater
    (updates are fed to `process_update`), and `request` instead of sockets if given."""
    persistence: PicklePersistence[Any, Any, Any] = PicklePersistence(
        filepath, update_interval=update_interval
    )
    builder = Application.builder().token(token).persistence(persistence).updater(None)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app: UsualApplication = builder.build()
    app.add_handler(interview_handler())
    return app


def mid_interview(user_id: int) -> tuple[dict[str, Any], tuple[int, int], int]:
    """What a private chat looks like after /start and "企业": its user_data, its conversation
    key (chat, user) and its state (the maintenance question)."""
    return {"subject_type": "enterprise"}, (user_id, user_id), MAINTENANCE


async def write_population(
    filepath: Path, token: str, user_ids: Iterable[int], request: BaseRequest
) -> None:
    """Write a pickle file as PicklePersistence writes it, holding one mid-interview private
    chat per user id: its user_data, its (empty) chat_data and its conversation state."""
    persistence: PicklePersistence[Any, Any, Any] = PicklePersistence(filepath, on_flush=True)
    bot: ExtBot[None] = ExtBot(token, request=request)
    persistence.set_bot(bot)
    await persistence.get_user_data()  # loads the (absent) file: empty dicts
    await persistence.get_conversations(CONVERSATION_NAME)
    for user_id in user_ids:
        user_data, key, state = mid_interview(user_id)
        await persistence.update_user_data(user_id, user_data)
        # PTB's Application gives every chat that sent an update a chat_data entry ({}).
        await persistence.update_chat_data(user_id, {})
        await persistence.update_conversation(CONVERSATION_NAME, key, state)
    await persistence.flush()
