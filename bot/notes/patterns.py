"""The phrase syntax of knowledge/note_checks, compiled to spaCy Matcher patterns.

    drive|transport     one token, either word (matched on the lemma)
    word?               optional token
    *                   one optional token of any kind;  ~  exactly one token
    @LIST               one token from a word list;  @A|@B|word  unions
    #money / #num       "$40" / any number
    ?                   a literal question mark

Words are lower-cased and lemmatised with the same normaliser the pipeline
uses, so "drove" in a phrase matches "drives" in a note. A word that the
tokenizer splits ("self-harm", "can't") expands to several tokens.
"""

from __future__ import annotations

from itertools import product
from typing import Callable, Iterable, Mapping

from .config import NoteCheckDataError

MAX_VARIANTS = 256

Tokenize = Callable[[str], list[str]]  # text -> normalised lemmas


def _slot_options(word: str, lists: Mapping[str, list[str]], tokenize: Tokenize) -> list[list[dict]]:
    """All token-sequence options for one slot (an empty list means 'absent')."""
    if word == "?":
        return [[{"ORTH": "?"}]]
    optional = word.endswith("?") and len(word) > 1
    if optional:
        word = word[:-1]
    if word == "*":
        return [[{"OP": "?"}]]
    if word == "~":
        return [[{"OP": "?"}]] if optional else [[{}]]
    if word == "#money":
        opts = [[{"ORTH": "$"}, {"LIKE_NUM": True}]]
    elif word == "#num":
        opts = [[{"LIKE_NUM": True}]]
    else:
        singles: list[str] = []
        opts = []
        for alt in word.split("|"):
            if not alt:
                raise NoteCheckDataError(f"empty alternative in {word!r}")
            if alt.startswith("@"):
                name = alt[1:]
                if name not in lists:
                    raise NoteCheckDataError(f"unknown list @{name}")
                for w in lists[name]:
                    toks = tokenize(w)
                    if len(toks) == 1:
                        singles.append(toks[0])
                    else:
                        opts.append([{"LEMMA": t} for t in toks])
                continue
            toks = tokenize(alt)
            if len(toks) == 1:
                singles.append(toks[0])
            elif toks:
                opts.append([{"LEMMA": t} for t in toks])
        if singles:
            uniq = sorted(set(singles))
            spec = {"LEMMA": uniq[0]} if len(uniq) == 1 else {"LEMMA": {"IN": uniq}}
            if optional:
                spec = dict(spec, OP="?")
                optional = False
            opts.insert(0, [spec])
    if optional:
        opts.append([])
    return opts


def compile_phrase(phrase: str, lists: Mapping[str, list[str]], tokenize: Tokenize) -> list[list[dict]]:
    """One phrase -> one or more Matcher patterns."""
    words = phrase.split()
    if not words:
        raise NoteCheckDataError("empty phrase")
    slots = [_slot_options(w, lists, tokenize) for w in words]
    count = 1
    for s in slots:
        count *= len(s)
    if count > MAX_VARIANTS:
        raise NoteCheckDataError(f"phrase expands to {count} variants: {phrase!r}")
    patterns = []
    for combo in product(*slots):
        pattern = [tok for part in combo for tok in part]
        if pattern and any(t.get("OP") != "?" for t in pattern):
            patterns.append(pattern)
    if not patterns:
        raise NoteCheckDataError(f"phrase matches nothing but optional tokens: {phrase!r}")
    return patterns


def compile_phrases(phrases: Iterable[str], lists, tokenize) -> list[list[dict]]:
    out: list[list[dict]] = []
    for phrase in phrases:
        try:
            out.extend(compile_phrase(phrase, lists, tokenize))
        except NoteCheckDataError as exc:
            raise NoteCheckDataError(f"{exc} (in phrase {phrase!r})") from None
    return out


# -- a small sequence matcher -------------------------------------------------------
#
# spaCy's Matcher evaluates set predicates ({"LEMMA": {"IN": [...]}}) in Python
# for every token and every predicate, which costs ~80 ms on a 300-word note
# with our ~500 patterns. Cue phrases are simple sequences of lemma sets, so
# we index them by their possible first lemma and only try the phrases that can
# start at each token: linear in the note length, ~1 ms per note.


def _spec_test(spec: dict):
    """(kind, value) for one Matcher-style token spec produced above."""
    spec = {k: v for k, v in spec.items() if k != "OP"}
    if not spec:
        return ("any", None)
    if "ORTH" in spec:
        return ("orth", spec["ORTH"])
    if "LIKE_NUM" in spec:
        return ("num", None)
    lemma = spec["LEMMA"]
    return ("set", frozenset(lemma["IN"]) if isinstance(lemma, dict) else frozenset([lemma]))


class SequenceMatcher:
    def __init__(self):
        self._patterns: list[tuple[str, tuple]] = []
        self._index: dict[str, list[tuple[int, int]]] = {}
        self._num_start: list[tuple[int, int]] = []

    def add(self, label: str, patterns: list[list[dict]]) -> None:
        for pattern in patterns:
            slots = tuple((*_spec_test(s), s.get("OP") == "?") for s in pattern)
            pid = len(self._patterns)
            self._patterns.append((label, slots))
            # every slot that can come first: the first one, and the ones after
            # leading optional slots
            for k, (kind, value, optional) in enumerate(slots):
                if kind == "set":
                    for lemma in value:
                        self._index.setdefault(lemma, []).append((pid, k))
                elif kind == "orth":
                    self._index.setdefault(value, []).append((pid, k))
                elif kind == "num":
                    self._num_start.append((pid, k))
                else:
                    raise ValueError("a cue phrase cannot start with a wildcard")
                if not optional:
                    break

    def _ends(self, slots, k, i, lemmas, orths, nums, n):
        """All token positions where slots[k:] can end when started at token i."""
        if k == len(slots):
            return [i]
        kind, value, optional = slots[k]
        out = []
        if i < n:
            if kind == "any":
                ok = True
            elif kind == "set":
                ok = lemmas[i] in value
            elif kind == "orth":
                ok = orths[i] == value
            else:
                ok = nums[i]
            if ok:
                out.extend(self._ends(slots, k + 1, i + 1, lemmas, orths, nums, n))
        if optional:
            out.extend(self._ends(slots, k + 1, i, lemmas, orths, nums, n))
        return out

    def __call__(self, lemmas, orths, nums) -> dict[str, list[tuple[int, int]]]:
        n = len(lemmas)
        found: dict[str, set] = {}
        index = self._index
        for i in range(n):
            cands = index.get(lemmas[i], ())
            if orths[i] != lemmas[i]:
                cands = list(cands) + index.get(orths[i], [])
            if nums[i] and self._num_start:
                cands = list(cands) + self._num_start
            for pid, k in cands:
                label, slots = self._patterns[pid]
                for end in self._ends(slots, k, i, lemmas, orths, nums, n):
                    if end > i:
                        found.setdefault(label, set()).add((i, end))
        return {label: sorted(spans) for label, spans in found.items()}
