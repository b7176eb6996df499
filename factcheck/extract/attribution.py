"""Deterministic speaker attribution for news sentences (English and Spanish), no model.

`Attributor(article_text, byline, title).speaker_of(i)` (or `attribute(sentences, i, ...)`) names
who asserts sentence `i`: a person or organisation exactly as written in the article, the cue
that decided (`said`, `according to`, `headline colon`, `quote continuation`, ...) and the span
of the reporting phrase. Pronouns and titles ("she", "the minister") are resolved against
earlier sentences; when that is not certain the answer is None, never a guess.
`is_valid_speaker` is the shared check that drops clauses, bylines and other non-names.
Scorer for the annotated set: `python -m factcheck.evals.attribution FILE.jsonl`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from factcheck.text import split_sentences


# --- cue tables -------------------------------------------------------------------------------
def _words(table: str) -> frozenset[str]:
    """A whitespace-separated word table as a set."""
    return frozenset(table.split())


REPORTING_VERBS = _words(
    """said says told tells announced claimed stated argued insisted noted added reported estimated
    touted touting wrote writes acknowledged stressed indicated responded replied explained
    warned cautioned confirmed denied asserted emphasized emphasised maintained predicted
    advocated testified tweeted posted alleged contended declared admitted dijo afirmó aseguró
    declaró señaló informó indicó explicó sostuvo añadió agregó advirtió destacó subrayó
    reconoció insistió anunció comentó expresó manifestó denunció escribió publicó respondió
    precisó estimó"""
)
PARTICIPLE_CUES = ("writing", "saying", "adding", "noting", "arguing", "claiming", "insisting")
SOCIAL = r"on (?:social media|X|Twitter|Truth Social|Facebook|Instagram|Bluesky|Threads)\b"
ACCORDING = (  # cue label, pattern; the source's name follows the match
    ("according to", r"\b[Aa]ccording to\s+"),
    ("según", r"\b[Ss]egún\s+"),
    ("de acuerdo con", r"\b[Dd]e acuerdo con\s+"),
)
SOURCE_NOUNS = r"(?:figures|data|statistics|estimates|numbers|a statement|a report|datos|cifras)"
REPORT_NOUNS = r"(?:report|article|story|statement|study|survey|analysis|investigation)"
REPORT_VERBS = r"(?:said|says|referred to|found|finds|showed|shows|claimed|stated|reported)"
PRONOUNS = {"she": "f", "he": "m", "ella": "f", "él": "m"}
PERSON_TITLES = _words(
    """president minister mayor chief official spokesperson spokesman spokeswoman governor senator
    secretary director chairman chairwoman councilmember councilman councilwoman congressman
    congresswoman representative criminologist economist professor analyst judge general leader
    commissioner prosecutor ambassador sheriff dr. mr. mrs. ms. prof. sen. rep. gov.
    superintendent principal inspector detective officer sergeant lieutenant colonel deputy
    chancellor premier treasurer auditor attorney lawyer researcher scientist doctor activist
    candidate executive ceo founder manager editor editor-in-chief presidente presidenta
    ministro ministra alcalde alcaldesa secretario secretaria gobernador gobernadora regidor
    regidora diputado diputada senadora portavoz vocero vocera director directora fiscal"""
)
FEMALE_TITLES = _words(
    """mrs. ms. chairwoman councilwoman congresswoman spokeswoman presidenta ministra alcaldesa
    secretaria gobernadora regidora diputada senadora vocera directora"""
)
MALE_TITLES = _words(
    """mr. chairman councilman congressman spokesman ministro alcalde secretario gobernador regidor
    diputado vocero"""
)
ORG_HEADS = _words(
    """ministry department office association union council bureau agency commission court
    university institute centre center bank party police government administration company
    committee board foundation organization organisation secretaría ministerio colegio instituto
    banco consejo comisión ayuntamiento gobierno"""
)
MEDIA = frozenset({"Bloomberg", "Reuters", "AP", "AFP", "EFE", "CNN", "BBC"})
STOP_CAPS = _words(
    """the a an its his her their this that these those on in at by for from but and also however
    meanwhile then later yesterday today tonight el la los las un una su sus este esta en y pero
    también actualmente mientras monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    after before when while if as since although though because despite during with without
    under until unless once asked first second third fourth fifth cuando tras después antes
    aunque si como desde durante con sin"""
)
CONNECTORS = frozenset(["of", "the", "for", "and", "on", "de", "del", "la", "las", "los", "y"])
PREPOSITIONS = _words("in at from by with of for on to into near en con desde por para")
BE_FORMS = _words("is are was were be been being es fue son fueron ser sido")
AUXILIARIES = _words(
    """has have had been was were is are will would also recently later then previously again
    already repeatedly publicly ha había han habían también ya"""
)
SUBORDINATORS = frozenset(["after", "before", "when", "while", "if", "although", "because", "once"])
HEADLINE_LABELS = _words(
    """breaking news fact check live updates exclusive analysis opinion editorial watch video
    photos update última hora"""
)
NEGATIONS = frozenset(["not", "never", "didn't", "didn’t", "doesn't", "doesn’t", "no", "nunca"])
TRAILING_COORD = frozenset({"but", "and", "pero", "y"})

_TOKEN = r"[A-ZÁÉÍÓÚÑÜ](?:[\w’'&\-]|\.(?=\w))*\.?"
_RUN = rf"{_TOKEN}(?:\s+(?:(?:of|the|for|and|on|de|del|la|las|los|y)\s+){{0,2}}{_TOKEN})*"
_VERB_RE = re.compile(r"\b(" + "|".join(sorted(REPORTING_VERBS, key=len, reverse=True)) + r")\b")
_OPEN, _CLOSE = "“«", "”»"


@dataclass(frozen=True)
class Attribution:
    """Who asserts a sentence, the cue that decided, and `(start, end)` of the phrase."""

    speaker: str
    cue: str
    evidence_span: tuple[int, int]


_BYLINE_LINE = re.compile(r"^[ \t]*(?:By|Por)[ \t]+[A-Z][^\n]*", re.M)


def byline_of(article_text: str) -> str | None:
    """The article's byline line ("By Mexico News Daily chief staff writer Peter Davies"), if a
    line of the text starts with "By"/"Por" and a capital."""
    match = _BYLINE_LINE.search(article_text)
    return match.group(0).strip() if match else None


def is_valid_speaker(name: str, article_text: str, byline: str | None = None) -> bool:
    """Whether `name` is a plausible speaker: a short capitalised name (at most 6 capitalised
    words plus connectors such as "of the") found verbatim in the article, without digits,
    reporting verbs or "that", not a pronoun, and not (part of) the byline."""
    tokens = name.split()
    if not tokens or name != name.strip() or name not in article_text:
        return False
    if not name[0].isupper() or any(ch.isdigit() for ch in name):
        return False
    lowered = [t.casefold().strip(",.;:") for t in tokens]
    if any(t in REPORTING_VERBS or t in {"that", "que", "who", "which"} for t in lowered):
        return False
    capitalised = [t for t in tokens if t[0].isupper()]
    if len(capitalised) > 6 or len(tokens) > 9:
        return False
    if any(not t[0].isupper() and t not in CONNECTORS for t in tokens):
        return False
    if name.casefold() in PRONOUNS or name.casefold() in STOP_CAPS:
        return False
    if len(tokens) == 1 and name not in MEDIA and not _proper_noun(name, article_text):
        return False
    return not (byline and name.casefold() in byline.casefold())


def _proper_noun(word: str, text: str) -> bool:
    """A one-word name must appear capitalised mid-sentence and never in lower case, so that a
    sentence-initial common noun ("District says ...", "Sequía: ...") is not taken for a name."""
    if re.search(rf"\b{re.escape(word.lower())}\b", text):
        return False
    return any(
        m.start() > 0
        and text[: m.start()].rstrip()[-1:] not in '.!?"“«(\n'
        and text[m.start() - 1] != "\n"
        for m in re.finditer(rf"\b{re.escape(word)}\b", text)
    )


def is_organisation(name: str) -> bool:
    """Whether `name` looks like an organisation (a head noun such as Ministry, or a newswire)."""
    heads = {t.casefold().strip("’'").removesuffix("s") for t in name.split()}
    return name in MEDIA or bool(heads & ORG_HEADS)


def _clean_name(run: str) -> str:
    """Strip leading fillers ("The", "On Thursday") and person titles ("Police Chief")."""
    tokens = run.split()
    while tokens and tokens[0].casefold() in STOP_CAPS:
        tokens.pop(0)
    for k in range(len(tokens) - 1):  # "Bloomberg on Monday" -> "Bloomberg"
        if tokens[k] == "on" and tokens[k + 1].casefold().rstrip(".,") in STOP_CAPS:
            tokens = tokens[:k]
            break
    name = re.sub(r"[’']s$", "", " ".join(tokens))  # "Bureau of Meteorology's" -> the bureau
    for sep in (" of ", " de "):  # "Sarah Lindqvist of Northgate University" -> the person
        head = name.split(sep)[0]
        if sep in name and " " in head and not is_organisation(head):
            name = head
    if name.endswith(".") and "." not in name.split()[-1][:-1]:  # sentence-final full stop
        name = name[:-1]
    tokens = name.split()
    if len(tokens) > 2 and tokens[1] in ("of", "de") and is_organisation(tokens[0]):
        return name  # "Office of the United States Trade Representative"
    titles = [k for k, t in enumerate(tokens) if t.casefold() in PERSON_TITLES]
    if titles and (titles[-1] == len(tokens) - 1 or tokens[titles[-1] + 1] in CONNECTORS):
        return ""  # only a title ("Director"), or "Secretary of Energy Rick Perry": unsure
    if titles:
        rest = " ".join(tokens[titles[-1] + 1 :])
        name = name if is_organisation(rest) else rest
    while name and name.split()[-1] in CONNECTORS:
        name = name.rsplit(" ", 1)[0] if " " in name else ""
    return name


def _mask_quotes(sentence: str, inside: bool) -> tuple[str, bool]:
    """The sentence with quoted text replaced by '_' (quote marks kept), and whether a quote is
    still open at its end. `inside` says whether one was open at its start."""
    out = []
    for ch in sentence:
        if ch in _OPEN or (ch == '"' and not inside):
            inside = True
            out.append(ch)
        elif ch in _CLOSE or ch == '"':
            inside = False
            out.append(ch)
        else:
            out.append("_" if inside and not ch.isspace() else ch)
    return "".join(out), inside


class Attributor:
    """Speaker attribution over one article's sentences (split with `factcheck.text` unless
    given). `byline` is never returned as a speaker; `title` only widens the text that names
    must occur in (the headline-colon cue applies to sentences, so pass a headline as one)."""

    LOOKBACK = 4  # sentences searched back for a pronoun's antecedent

    def __init__(
        self,
        article_text: str,
        byline: str | None = None,
        title: str | None = None,
        sentences: Sequence[str] | None = None,
    ) -> None:
        self.text = article_text if not title else f"{title}\n{article_text}"
        self.byline = byline
        if sentences is None:
            sentences = [span.of(article_text) for span in split_sentences(article_text)]
        self.sentences = list(sentences)
        self.masked: list[str] = []
        self.open_at_start: list[bool] = []
        inside, run = False, 0
        for sentence in self.sentences:
            run = run + 1 if inside else 0
            inside = inside and run <= 6  # an unclosed quote does not run on forever
            self.open_at_start.append(inside)
            masked, inside = _mask_quotes(sentence, inside)
            self.masked.append(masked)
        self._cache: dict[int, Attribution | None] = {}
        self._busy: set[int] = set()

    def speaker_of(self, index: int) -> Attribution | None:
        """The attribution of sentence `index`, or None if no named speaker is certain."""
        if index in self._cache:
            return self._cache[index]
        if index in self._busy or not 0 <= index < len(self.sentences):
            return None
        self._busy.add(index)
        try:
            found = self._direct(index) or self._continuation(index)
        finally:
            self._busy.discard(index)
        if found and not is_valid_speaker(found.speaker, self.text, self.byline):
            found = None
        self._cache[index] = found
        return found

    # --- direct cues in the sentence itself ---------------------------------------------------
    def _direct(self, i: int) -> Attribution | None:
        sentence, masked = self.sentences[i], self.masked[i]
        headline = re.match(rf"({_RUN}):\s+\S", sentence)
        label = headline and set(headline.group(1).casefold().split()) <= HEADLINE_LABELS
        # a headline has no final full stop; "Research: Research online ..." is a list item
        if headline and not label and len(headline.group(1).split()) <= 4 and sentence[-1] != ".":
            name = self._expand(_clean_name(headline.group(1)), i)
            if name:
                return Attribution(name, "headline colon", headline.span(1))
        for cue, pattern in ACCORDING:
            found = self._according(i, cue, pattern)
            if found:
                return found
        report = re.search(
            rf"\b(?:the|a|an)\s+({_RUN})\s+{REPORT_NOUNS}\s+(?:that|which)\s+"
            rf"{REPORT_VERBS}",
            masked,
        )
        if report:
            return Attribution(_clean_name(report.group(1)), "report that", report.span())
        lead_clause = masked.split(maxsplit=1)[0].casefold() in SUBORDINATORS if masked else False
        for verb in _VERB_RE.finditer(masked):
            rest = masked[verb.end() :]
            if lead_clause and "," in masked[verb.end() :] and verb.start() < masked.find(","):
                continue  # "After Trump said ..., Sheinbaum announced": not the main clause
            if verb.group(1) in ("responded", "replied", "respondió") and rest.startswith(" to"):
                continue
            return self._from_verb(i, verb, rest)
        participle = re.search(r",\s+(" + "|".join(PARTICIPLE_CUES) + r")\b", masked)
        subject = re.match(rf"(?:[A-Z]\w*\s+){{0,3}}?({_RUN})\s+(?:also\s+)?[a-z]", sentence)
        if participle and subject:
            social = re.match(r"\s+" + SOCIAL, masked[participle.end() :])
            cue = f"{participle.group(1)} on social media" if social else participle.group(1)
            end = participle.end() + (social.end() if social else 0)
            name = self._expand(_clean_name(subject.group(1)), i)
            return Attribution(name, cue, (subject.start(1), end)) if name else None
        return None

    def _according(self, i: int, cue: str, pattern: str) -> Attribution | None:
        masked = self.masked[i]
        match = re.search(pattern, masked)
        if not match:
            return None
        rest = masked[match.end() :]
        skip = re.match(
            rf"(?:{SOURCE_NOUNS}\s+(?:\w+\s+)?(?:by|from|de|del)\s+)?"
            r"(?:(?:the|la|el|los|las)\s+)?(?:(?:su|sus|its|their)\s+\w+,\s+)?",
            rest,
        )
        start = match.end() + (skip.end() if skip else 0)
        name = re.match(_RUN, masked[start:])
        if not name or masked[start + name.end() : start + name.end() + 1] in ("–", "-"):
            return None
        cleaned = self._expand(_clean_name(name.group()), i)
        return Attribution(cleaned, cue, (match.start(), start + name.end())) if cleaned else None

    def _from_verb(self, i: int, verb: re.Match[str], rest: str) -> Attribution | None:
        masked, word = self.masked[i], verb.group(1)
        cue, cue_end = word, verb.end()
        social = re.match(r"\s+" + SOCIAL, rest)
        if word == "told" and rest.startswith(" reporters"):
            cue, cue_end = "told reporters", verb.end() + len(" reporters")
        elif word in ("wrote", "posted", "escribió", "publicó") and social:
            cue, cue_end = "wrote on social media", verb.end() + social.end()
        elif word in ("posted", "publicó"):
            return None
        last_quote = max(masked.rfind(q, 0, verb.start()) for q in _CLOSE + '"')
        before = masked[last_quote + 1 : verb.start()]
        if not before.strip(" ,") and last_quote >= 0:  # "…," said X / «…», afirmó X
            after = re.match(rf"\s+({_RUN})", rest)
            if not after:
                return None
            name = self._expand(_clean_name(after.group(1)), i)
            span = (verb.start(), max(cue_end, verb.end() + after.end()))
            return Attribution(name, cue, span) if name else None
        start = last_quote + 1
        subject = before.rstrip(" ,")
        relative = re.match(r"(.*?),\s+(?:who|which|whose|quien|quienes)\b", subject)
        if relative:
            subject = relative.group(1)
        # "John Smith, a spokesman for Acme, said" / "Karen Obi, 52, said": drop the apposition
        if before.rstrip().endswith(","):
            apposition = r",\s+(?!(?:but|and|pero|y)\b)(?:[a-z][^,]*|\d+)$"
            subject = re.sub(apposition, "", subject)
        words = subject.split()
        while words and words[-1].casefold() in AUXILIARIES | NEGATIONS:
            popped = words.pop().casefold()
            if popped in NEGATIONS or (popped in BE_FORMS and not word.endswith("ing")):
                return None  # negated, or passive ("is estimated", "have been estimated")
        span = (start + len(before) - len(before.lstrip()), cue_end)
        if words and words[-1].rstrip(",").casefold() in TRAILING_COORD:
            lead = re.match(rf"(?:[A-Z]\w*,?\s+){{0,3}}?({_RUN})\s+[a-z]", masked)
            name = self._expand(_clean_name(lead.group(1)), i) if lead else ""
            return Attribution(name, cue, span) if name else None
        if not words:
            return None
        last = words[-1].casefold()
        if last in PRONOUNS:
            span = (masked.rfind(words[-1], start, verb.start()), cue_end)
            return self._pronoun(i, last, cue, span)
        determiner = {w.casefold() for w in words[-3:-1]} & {"the", "la", "el"}
        if last in PERSON_TITLES | ORG_HEADS and words[-1].islower() and determiner:
            name = self._title(i, last)
            return Attribution(name, "title resolved", span) if name else None
        joined = " ".join(words)
        run = re.search(rf"({_RUN})\s*$", joined)
        if not run or re.search(r"[’']s$", run.group(1)):
            return None  # no name, or a possessive ("The IPCC’s predicted path")
        head = joined[: run.start()].split()
        if head and head[-1].casefold() in {"the", "la", "el"}:
            head.pop()
        if head and (head[-1].casefold() in PREPOSITIONS or head[-1].endswith("ed")):
            person = re.search(
                rf"({_RUN})\s+(?:of|from|at)\s+(?:the\s+)?{re.escape(run.group(1))}$", joined
            )  # "Greg Holland from the National Center ..."
            if not person or is_organisation(_clean_name(person.group(1))):
                return None  # "A study in Hudson Bay", "Obama visited the Gulf"
            run = person
        name = self._expand(_clean_name(run.group(1)), i)
        return Attribution(name, cue, span) if name else None

    # --- resolution ---------------------------------------------------------------------------
    def _expand(self, name: str, i: int) -> str:
        """A one-word person name expanded to the fullest form in sentences up to `i`
        ("Sheinbaum" -> "Claudia Sheinbaum"); other names unchanged."""
        if " " in name or not name or is_organisation(name):
            return name
        earlier = "\n".join(self.sentences[: i + 1])
        best = name
        for match in re.finditer(rf"((?:{_TOKEN} +){{1,4}}){re.escape(name)}\b", earlier):
            full = _clean_name(match.group(0))
            if (
                full.endswith(name)
                and len(full.split()) <= 3
                and len(full) > len(best)
                and is_valid_speaker(full, earlier)
            ):
                best = full
        return best

    def _anchor(self, i: int) -> int:
        """The first sentence of the quote (or quote + trailing fragment) that `i` belongs to."""
        if i > 0 and self.sentences[i][:1].islower():
            i -= 1
        while i > 0 and self.open_at_start[i]:
            i -= 1
        return i

    def _gender(self, name: str) -> str | None:
        for title in re.findall(rf"(\S+)\s+{re.escape(name)}", self.text):
            key = title.casefold().strip(",")
            if key in FEMALE_TITLES or key in MALE_TITLES:
                return "f" if key in FEMALE_TITLES else "m"
        return None

    def _pronoun(self, i: int, pronoun: str, cue: str, span: tuple[int, int]) -> Attribution | None:
        """He/she: the nearest earlier person speaker (or a sentence's named person subject)."""
        anchor = self._anchor(i)
        for j in range(anchor - 1, max(-1, anchor - 1 - self.LOOKBACK), -1):
            found = self.speaker_of(j)
            name = found.speaker if found else ""
            if not name:
                name = self._subject_person(j, PRONOUNS[pronoun])
                if name is None:
                    return None  # two people and no gender signal: do not guess
                if not name:
                    continue
            if is_organisation(name) or self._gender(name) not in (None, PRONOUNS[pronoun]):
                continue
            return Attribution(name, "pronoun resolved", span)
        return None

    def _subject_person(self, j: int, gender: str) -> str | None:
        """The full-name subject of sentence `j` ('' if none). With other people named too, only
        if a possessive right after the subject ("X held her ...") matches `gender`, else None."""
        sentence = self.sentences[j]
        lead = re.match(rf"(?:[A-Z]\w*,?\s+){{0,2}}?({_RUN})\s+[a-z]", sentence)
        name = _clean_name(lead.group(1)) if lead else ""
        if len(name.split()) < 2 or is_organisation(name):
            return ""
        others = [
            m
            for m in re.finditer(_RUN, sentence[lead.end(1) :])
            if len(_clean_name(m.group()).split()) >= 2
            and not is_organisation(_clean_name(m.group()))
        ]
        if not others:
            return name
        between = sentence[lead.end(1) : lead.end(1) + others[0].start()]
        possessive = re.search(r"\b(her|his|su)\b", between)
        signal = {"her": "f", "his": "m"}.get(possessive.group(1)) if possessive else None
        return name if signal == gender else None

    def _title(self, i: int, title: str) -> str:
        """'the minister' -> the one name given with that title earlier ('' if none or many)."""
        earlier = "\n".join(self.sentences[:i])
        if title in ORG_HEADS:
            orgs = re.findall(rf"({_RUN})", earlier)
            cleaned = [_clean_name(o) for o in orgs]
            named = [n for n in cleaned if n and n.split()[-1].casefold() == title]
            return named[-1] if named and len(named[-1].split()) > 1 else ""
        plain: set[str] = set()
        qualified: set[str] = set()
        pattern = rf"(\S+\s+)?(?i:{re.escape(title)})(?:\s+(?:de|of)\s+{_TOKEN})?,?\s+({_RUN})"
        for match in re.finditer(pattern, earlier):
            name = _clean_name(match.group(2))
            if not name or is_organisation(name):
                continue
            previous = (match.group(1) or "").strip()
            is_plain = not previous[:1].isupper() or previous.casefold() in STOP_CAPS
            (plain if is_plain else qualified).add(name)
        candidates = plain or qualified
        return next(iter(candidates)) if len(candidates) == 1 else ""

    def _continuation(self, i: int) -> Attribution | None:
        """A sentence inside a multi-sentence quote takes the quote's speaker; a sentence that
        is only a quote, right after an attributed quote, takes that quote's speaker."""
        whole = (0, len(self.sentences[i]))
        opens = self.open_at_start[i] or (i + 1 < len(self.sentences) and self.open_at_start[i + 1])
        if opens:
            start = self._anchor(i)
            end = i
            while end + 1 < len(self.sentences) and self.open_at_start[end + 1]:
                end += 1
            tail = [end] if end != i else []
            if end + 1 < len(self.sentences) and self.sentences[end + 1][:1].islower():
                tail.append(end + 1)
            for j in [*tail, start]:
                found = self._direct(j) if j != i else None
                if found:
                    return Attribution(found.speaker, "quote continuation", whole)
            return None
        only_quote = not re.search(r"[^\W_]", self.masked[i]) and self.sentences[i][:1] in '"“«'
        previous = self.speaker_of(i - 1) if only_quote and i > 0 else None
        if previous and re.search(r"[\"“”«»]", self.sentences[i - 1]):
            return Attribution(previous.speaker, "quote continuation", whole)
        return None


def attribute(
    sentences: Sequence[str],
    index: int,
    *,
    article_text: str,
    byline: str | None = None,
    title: str | None = None,
) -> Attribution | None:
    """The speaker of `sentences[index]`, given the whole article's sentences (see module doc)."""
    return Attributor(article_text, byline, title, sentences).speaker_of(index)
