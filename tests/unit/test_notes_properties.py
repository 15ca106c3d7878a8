"""Property test: check() never raises and offsets always slice to flag.text."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.notes import CATEGORIES, get_checker

WORDS = st.sampled_from(
    [
        "writer",
        "member",
        "peer",
        "FPS",
        "mom",
        "drove",
        "gave",
        "a",
        "ride",
        "told",
        "her",
        "to",
        "stop",
        "Zoloft",
        "PTSD",
        "sounds",
        "like",
        "not",
        "did",
        "declined",
        "hold",
        "wallet",
        "$40",
        "borrowed",
        "suicide",
        "kill",
        "herself",
        "if",
        "asked",
        "agreed",
        "friends",
        ".",
        ",",
        ";",
        "\n",
        "|",
        "\t",
        "🙂",
    ]
)
NOTES = st.one_of(
    st.text(max_size=400),
    st.lists(WORDS, max_size=80).map(" ".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NOTES)
def test_check_never_raises_and_offsets_slice(text):
    checker = get_checker()
    seen = set()
    for f in checker.check(text):
        assert f.category in CATEGORIES or f.category == "risk_possible"
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text
        assert f.text.strip() == f.text
        assert (f.category, f.start) not in seen
        seen.add((f.category, f.start))
