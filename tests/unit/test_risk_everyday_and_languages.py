"""The chat risk check on words nobody here trained on: everyday chat and form input
(WRSP answers, short replies in several languages, menu words) raises no risk check,
and risk language in other languages is answered. Both lists were written for this
test, apart from the banks (knowledge/banks/risk), tests/e2e and ../shared/eval.

The check is called as the Rasa component calls it (addons/risk_logic.classify with
its detector), and as the Telegram bridge and the actions call it (bot.notes.risk)."""

from __future__ import annotations

import pytest

from addons.risk_logic import RISK_INTENT, _detect, classify
from bot.notes.risk import risk_in, safe_risk_in

GREET = {"name": "greet", "confidence": 0.8}

EVERYDAY = [
    # WRSP answers: dates, numbers, names, goals, list answers, commands
    "May 27 2027",
    "Oct. 5, 2026",
    "11/30/2026",
    "the 4th of July 2027",
    "2028-01-17",
    "by spring break",
    "3 months from now",
    "22 de julio",
    "ngày 20 tháng 7",
    "十月十日",
    "5",
    "9",
    "three times a week",
    "6:45 pm",
    "K.M.",
    "record 30917",
    "Harbor View apartments",
    "get her high school diploma",
    "go to NA on Mondays and Thursdays",
    "buy a used bike to get to work",
    "kind, patient, good listener",
    "n/a for now",
    "skip this one",
    "go back please",
    "none that I know of",
    "church, my cousins, the gym",
    "rent day, seeing her ex",
    # short replies and greetings
    "sí, por favor",
    "si señor",
    "dạ không",
    "vâng, được ạ",
    "oo naman",
    "sige salamat",
    "gracias amiga",
    "ok thx",
    "yes, that's right",
    "no, that's it",
    "message 4",
    "message 19",
    "test 8",
    "2",
    "good evening",
    "hola otra vez",
    "what's on the menu",
    "resume my plan",
    "can I drive a member to the food bank",
    "is a $10 gift card ok to accept",
    "Met with member at the library to update her resume.",
]

RISK_IN_OTHER_LANGUAGES = [
    "Mi cliente me dijo que esta noche se va a quitar la vida.",
    "Ya no quiero seguir viviendo, nadie me va a extrañar.",
    "Ella dice que su esposo la golpea y la amenaza con un cuchillo.",
    "Tôi muốn chết, không muốn sống nữa.",
    "Anh ấy nói sẽ tự tử bằng thuốc ngủ tối nay.",
    "Gusto ko nang mamatay, pagod na ako sa buhay.",
    "我不想活了，我想自杀。",
    "Eu quero me matar, não aguento mais.",
    "Je veux mourir, je pense à me suicider.",
    "Mwen vle touye tèt mwen.",
    "Я хочу покончить с собой.",
    "죽고 싶어요. 자살할 생각을 하고 있어요.",
    "أريد أن أقتل نفسي",
    "मैं आत्महत्या करना चाहता हूँ",
    'client said "me voy a matar" and has been saving up her pills',
]


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_input_raises_no_risk_check(text):
    assert risk_in(text) is None
    assert safe_risk_in(text) is None  # the Telegram bridge and the fallback replies
    assert classify(text, GREET, [GREET], _detect) == (GREET, [GREET])  # the Rasa component


@pytest.mark.parametrize("text", RISK_IN_OTHER_LANGUAGES)
def test_risk_in_other_languages_is_answered(text):
    finding = risk_in(text)
    assert finding is not None and finding.tier in ("risk", "risk_possible")
    intent, _ = classify(text, GREET, [GREET], _detect)
    assert intent["name"] == RISK_INTENT
