"""Who did it: clauses, people mentioned, and the doer of an action.

Progress notes name the peer specialist in many ways ("writer", "CPSS", "FPS",
"I", "peer") and the person served in others ("member", "client", "mom").
Without a parser we use a few robust conventions of the genre:

* the doer of a verb is the nearest person named before it in the same clause,
  skipping possessives ("member's"), objects of a preposition ("with member")
  and objects of verbs like "drove" or "gave";
* the object of "helped / encouraged / asked / told X to ..." is the doer of the
  next verb ("helped member submit her renewal": member submitted it);
* a clause that names nobody continues the clause before it, and a sentence
  that names nobody is the writer's ("Drove member to ...");
* "peer" means the specialist when the note also names the person served, and
  the person served when the note names the specialist some other way;
* "she/he/they" refers back to the last doer named.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from .shared import Grammar

STAFF, CLIENT, CHILD, OTHER = "staff", "client", "child", "other"
MAX_LOOKBACK = 40  # tokens; keeps the checker linear on run-on text
SUBJECT_WINDOW = 3  # a clause's subject starts within its first tokens
MENTION_KINDS = ("noun", "subj_pron", "obj_pron", "rel", "poss_det")


@dataclass
class Mention:
    start: int
    end: int
    roles: frozenset
    kind: str = "noun"  # one of MENTION_KINDS
    possessive: bool = False


@dataclass
class SentenceInfo:
    start: int
    end: int
    clause_starts: list[int] = field(default_factory=list)  # token indices
    subjects: list[frozenset] = field(default_factory=list)  # per clause


class ActorIndex:
    """Per-document index of people mentioned and clause structure."""

    def __init__(self, doc, mentions: list[Mention], grammar: Grammar):
        self.doc = doc
        self.grammar = g = grammar
        self.lemmas = [t.lemma_ for t in doc]
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self._mention_starts = [m.start for m in self.mentions]
        self.by_end = {m.end: m for m in self.mentions}
        self.prep = g.prep
        self.help_verbs = g.help_verbs
        self.object_verbs = g.object_verbs
        self.speech_verbs = g.speech_verbs
        self.be = g.be_actors
        self.break_punct = g.break_punct
        self.break_words = g.break_words
        self.sents: list[SentenceInfo] = []
        self._sent_starts: list[int] = []
        self._build_clauses()

    # -- structure --------------------------------------------------------
    def _is_break(self, i: int) -> bool:
        tok = self.doc[i]
        text = tok.text
        if text in self.break_punct or (text.isspace() and "\t" in text):
            return True
        low = self.lemmas[i]
        if low in self.break_words or tok.lower_ in self.break_words:
            if low in self.grammar.coordinators:
                # "Peer and member ..." is one doer, not two clauses.
                prev = self.by_end.get(i)
                nxt = self._mention_at(i + 1)
                if prev is not None and nxt is not None:
                    return False
            return True
        return False

    def _mention_at(self, i: int):
        k = bisect_right(self._mention_starts, i) - 1
        if k >= 0 and self.mentions[k].start == i:
            return self.mentions[k]
        # skip a determiner: "and her son"
        if 0 <= i < len(self.doc) and self.lemmas[i] in self.grammar.determiners:
            k = bisect_right(self._mention_starts, i + 1) - 1
            if k >= 0 and self.mentions[k].start == i + 1:
                return self.mentions[k]
        return None

    def _build_clauses(self) -> None:
        prev_subject = frozenset({STAFF})
        for sent in self.doc.sents:
            info = SentenceInfo(sent.start, sent.end, [sent.start])
            for i in range(sent.start + 1, sent.end):
                if self._is_break(i):
                    info.clause_starts.append(i)
            self.sents.append(info)
            self._sent_starts.append(sent.start)
            # subjects, clause by clause
            bounds = info.clause_starts + [sent.end]
            last = None
            for c in range(len(info.clause_starts)):
                subj = self._first_subject(bounds[c], bounds[c + 1], last, prev_subject)
                if subj is None:
                    subj = last if last is not None else frozenset({STAFF})
                info.subjects.append(subj)
                last = subj
            if info.subjects:
                prev_subject = info.subjects[0]

    def _first_subject(self, start: int, end: int, last, prev_sentence_subject):
        # a clause's own doer is named near its start ("; writer drove ...");
        # a pronoun later on ("and told him he ...") does not change the doer
        k = bisect_right(self._mention_starts, start - 1)
        while k < len(self.mentions) and self.mentions[k].start < min(end, start + SUBJECT_WINDOW):
            m = self.mentions[k]
            k += 1
            j = self._prev_index(m.start, start)
            if j >= start and self.lemmas[j] in self.help_verbs:
                continue  # "told member ...": member is not the clause's doer
            role = self._role_if_doer(m, start, last, prev_sentence_subject)
            if role is not None:
                return role
        return None

    # -- doer resolution ----------------------------------------------------
    def _prev_index(self, i: int, floor: int) -> int:
        j = i - 1
        while j >= floor and (self.lemmas[j] in self.grammar.determiners or self.doc[j].is_space):
            j -= 1
        return j

    def _role_if_doer(self, m: Mention, clause_start: int, last, prev_sentence_subject):
        """Roles of ``m`` if it is the doer of what follows it, else None."""
        if m.possessive or m.kind == "poss_det":
            return None
        j = self._prev_index(m.start, clause_start)
        prev = self.lemmas[j] if j >= clause_start else None
        if prev in self.prep:
            return None
        if prev in self.object_verbs and prev not in self.help_verbs:
            return None
        if m.kind == "obj_pron" and prev not in self.help_verbs:
            return None
        if m.kind == "rel":
            k = bisect_right(self._mention_starts, m.start - 1) - 1
            while k >= 0 and self.mentions[k].kind == "rel":
                k -= 1
            return self.mentions[k].roles if k >= 0 else None
        if m.kind == "subj_pron":
            # the person last named in this sentence, else the last doer
            k = bisect_right(self._mention_starts, m.start - 1) - 1
            floor = self.sents[self.sentence_of(m.start)].start if self.sents else 0
            while k >= 0 and self.mentions[k].start >= floor and m.start - self.mentions[k].start <= MAX_LOOKBACK:
                x = self.mentions[k]
                k -= 1
                if x.kind not in ("noun", "obj_pron", "poss_det") or not x.roles:
                    continue
                if self.lemmas[x.start] in self.grammar.staff_pronouns:
                    continue  # "she/he" never refers back to "I" or "we"
                j = self._prev_index(x.start, floor)
                if j >= floor and self.lemmas[j] in self.speech_verbs:
                    continue  # the listener of "told X (that) she ..."
                return x.roles
            fallback = last if last is not None else prev_sentence_subject
            if STAFF in fallback and (CLIENT in fallback or CHILD in fallback):
                fallback = fallback - {STAFF}  # "we ... so she could": she is not the writer
            return fallback
        roles = m.roles
        # coordination: "peer and member", "member and writer"
        if prev in self.grammar.subject_joiners and j >= clause_start:
            other = self.by_end.get(j)
            if other is not None and not other.possessive:
                roles = roles | other.roles
        return roles

    def sentence_of(self, i: int) -> int:
        return max(0, bisect_right(self._sent_starts, i) - 1)

    def clause_of(self, i: int) -> tuple[int, int, int, int]:
        """(sentence index, clause index, clause start, clause end) for token i."""
        s = self.sentence_of(i)
        info = self.sents[s]
        starts = info.clause_starts
        c = max(0, bisect_right(starts, i) - 1)
        end = starts[c + 1] if c + 1 < len(starts) else info.end
        return s, c, starts[c], end

    def passive_agent(self, i: int):
        """Roles of the "by" agent of a passive verb at token i ("were picked up
        by this writer"), or None when the verb is not passive or names no agent."""
        s, c, cstart, cend = self.clause_of(i)
        sent = self.sents[s]
        if not any(self.lemmas[k] in self.be for k in range(max(sent.start, i - 2), i)):
            return None
        for k in range(i + 1, min(sent.end, i + 12)):
            if self.lemmas[k] in self.grammar.agent:
                return self._agent_at(k + 1)
        return None

    def _agent_at(self, i: int):
        """Roles of the person named at token i ("by her son": the son)."""
        m = self._mention_at(i)
        if m is not None and m.kind == "poss_det":
            head = self._mention_at(m.end)
            return head.roles if head is not None else None
        return m.roles if m is not None else None

    def doer(self, i: int) -> tuple[frozenset, frozenset | None]:
        """Roles of whoever does the action at token i, and (when that doer is
        the object of "helped/asked X to") the roles of the helper."""
        s, c, cstart, cend = self.clause_of(i)
        info = self.sents[s]
        last = info.subjects[c - 1] if c > 0 else None
        prev_sent = self.sents[s - 1].subjects[0] if s > 0 and self.sents[s - 1].subjects else frozenset({STAFF})
        # passive with an agent: "was driven home by peer"
        if any(self.lemmas[k] in self.be for k in range(max(cstart, i - 2), i)):
            for k in range(i + 1, min(cend, i + 10)):
                if self.lemmas[k] in self.grammar.agent:
                    roles = self._agent_at(k + 1)
                    if roles is not None:
                        return roles, None
                    break
        k = bisect_right(self._mention_starts, i - 1) - 1
        while k >= 0 and self.mentions[k].start >= cstart and i - self.mentions[k].start <= MAX_LOOKBACK:
            m = self.mentions[k]
            k -= 1
            if m.end > i:
                continue
            role = self._role_if_doer(m, cstart, last, prev_sent)
            if role is None:
                continue
            helper = None
            j = self._prev_index(m.start, cstart)
            if j >= cstart and self.lemmas[j] in self.help_verbs:
                helper = self.doer(j)[0]
            return role, helper
        return info.subjects[c], None

    # -- mentions in a range --------------------------------------------------
    def mentions_in(self, start: int, end: int):
        k = bisect_right(self._mention_starts, start - 1)
        while k < len(self.mentions) and self.mentions[k].start < end:
            yield self.mentions[k]
            k += 1
