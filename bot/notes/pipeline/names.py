"""First names as people, for peerscope_actors (``names``, ``not_names`` and
``grammar`` in lexicon.yml)."""

from __future__ import annotations

from spacy.tokens import Doc

from .shared import Grammar, lookup_table


class NameFinder:
    """Plain first names as people ("brought Tom to ...", "Maria's door").

    A capitalised word is a name only when its context says so (see `names` in
    lexicon.yml): followed by "'s", right after a person-taking word, or a
    clause's subject followed by a verb from the list. Other occurrences of a
    name found that way are names too. A name right after a title or a person
    word ("Ms. Ortiz", "her son Caleb") extends that mention instead.
    """

    def __init__(self, lexicon: dict, lists: dict, breaks: dict, grammar: Grammar):
        cfg = lexicon.get("names") or {}
        self.role = {"client": "@client", "child": "@child", "other": "@other"}[cfg.get("role", "client")]
        self.not_names = {str(w).lower() for w in lexicon.get("not_names") or ()}
        self.before = (
            set(cfg.get("before") or ())
            | set(lists.get("HELP_VERB", ()))
            | set(lists.get("OBJECT_VERB", ()))
            | set(lists.get("SPEECH_VERB", ()))
            | grammar.name_particles
        )
        self.after = set(cfg.get("after") or ())
        self.org_heads = {str(w).lower() for w in cfg.get("org_heads") or ()}
        self.openers = grammar.clause_openers | set(breaks.get("words", ()))
        self.joiners = grammar.name_joiners
        self.possessive = grammar.possessive
        self.table = lookup_table()

    def _word(self, text: str) -> bool:
        if len(text) < 2 or not text.isalpha() or not text[0].isupper() or not text[1:].islower():
            return False
        low = text.lower()
        if low in self.not_names:
            return False
        lemma = self.table.get(low)
        return not (lemma and lemma != low and low.endswith(("ed", "ing")))

    def _inflected(self, text: str) -> bool:
        low = text.lower()
        lemma = self.table.get(low)
        return bool(lemma) and lemma != low

    def __call__(self, doc: Doc, chosen: list):
        n = len(doc)
        if not n:
            return chosen, []
        texts = [t.text for t in doc]
        lem = [t.lemma_ for t in doc]
        starts = [t.is_sent_start for t in doc]
        owner = {}
        for k, (s, e, _label) in enumerate(chosen):
            for i in range(s, e):
                owner[i] = k
        runs = []
        i = 0
        while i < n:
            if i in owner or not self._word(texts[i]) or (starts[i] and self._inflected(texts[i])):
                i += 1  # "Brought Tom ...": a sentence-initial verb form is no name
                continue
            j = i + 1
            while j < n and j not in owner and self._word(texts[j]) and not starts[j]:
                j += 1
            runs.append((i, j))
            i = j
        if not runs:
            return chosen, []
        extend = {}
        found: set[str] = set()
        accepted = []
        for i, j in runs:
            words = [texts[k].lower() for k in range(i, j)]
            if any(w in self.org_heads for w in words):
                continue
            p = i - 1
            if j - i > 1 and not (p >= 0 and p in owner and chosen[owner[p]][1] == i):
                continue  # "Rite Aid", "Trader Joe's": several capitalised words name a place
            if (
                p >= 0
                and not starts[i]
                and texts[p][:1].isupper()
                and texts[p].isalpha()
                and p not in owner
                and not starts[p]
            ):
                continue  # inside a longer proper noun ("Rite Aid", "Trader Joe")
            nxt = lem[j] if j < n else ""
            prev = lem[p] if p >= 0 and not starts[i] else ""
            ok = False
            if p >= 0 and p in owner and not starts[i] and chosen[owner[p]][1] == i and chosen[owner[p]][2] != "@staff":
                extend[owner[p]] = j  # "Ms. Ortiz", "her son Caleb"
                continue
            if nxt in self.possessive:
                ok = True
            elif prev in self.before:
                if prev in self.joiners:
                    ok = p - 1 >= 0 and (p - 1 in owner or any(a[1] == p for a in accepted))
                else:
                    ok = True
            elif (starts[i] or prev in self.openers or (p >= 0 and doc[p].is_punct)) and nxt in self.after:
                ok = True
            if ok:
                accepted.append((i, j))
                found.add(" ".join(words))
        if found:
            taken = {a[0] for a in accepted}
            for i, j in runs:
                if i not in taken and " ".join(texts[k].lower() for k in range(i, j)) in found:
                    accepted.append((i, j))
        if extend:
            chosen = [(s, extend.get(k, e), lab) for k, (s, e, lab) in enumerate(chosen)]
        return chosen, [(i, j, self.role) for i, j in sorted(accepted)]
