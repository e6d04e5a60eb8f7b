"""The pt_BR catalog speaks as the network's coordination would (issue 14).

Every message is rendered with sample values and checked for the slips a review found:
"1 dias", guessed articles before names people choose ("do Saúde"), words of another
register ("tipo", "pra", "Manda"), English left over, more than a chat message holds,
and numbers shown without plural forms.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Message

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import i18n as catalog_tool

PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::([^}]*))?\}")
PLATFORM_LIMIT = 4096

# Placeholders that hold a count (the plural forms follow them).
NUMBERS = frozenset(
    "n count late total present limit length max min planned held"
    " unrecorded cancelled done needed cap opened answered overdue atas yes no maybe"
    " reasons s a remind".split()
)
# Numbers that are not counts of something named after them, or are never 1.
ALLOWED = {
    "Sectors present: {present} of {total}": "a count after its label",
    "Sectors present: {n} of {total}": "a count after its label",
    "Page {page} of {pages}": "page numbers",
    "Minutes no. {number}/{year}": "a document number",
    "{part} of {whole} ({rate})": "figures of a table",
    "{field} is too long: at most {limit} characters (you sent {length}).": (
        "field limits are 20 characters or more, and the length is above the limit"
    ),
    "The deadline must be from 1 to {max} days, not {days}.": "max is 365; days is 0 or over max",
    "The deadline {date} is more than {max} days away.": "max is 365",
    "{step}: write a number of days from {min} to {max}, not '{value}'.": "a range of days",
    "{step}: missing the number of days ({min} to {max}).": "a range of days",
    "There is no {date}: {month} has only {days} days.": "months have 28 to 31 days",
    "At most {n} reminders per meeting.": "n is the fixed maximum, 6",
    "The hourly limit is a number from 1 to {max}.": "a range",
    "The daily limit is a number from 1 to {max}.": "a range",
    "No coordination chat: notices for the coordination go privately to up to {n} coordinators"
    " who wrote to me, else here. To link one, add me to the coordination's chat and send"
    " /coordenacao aqui there.": "n is the fixed maximum, 3",
    "The period without activity is from {low} to {high} days.": "a range of days (7 to 365)",
    "❓ Which sector of the network is {name}? ({number} of {total})": "a position in a list",
    "Quorum: {q}. To change: /quorum 6": "a count after its label",
    "Working group {name} created: {sectors}; {cadence}, {place}. {n} meetings scheduled;"
    " the first: {first}.": "pt and es put the count after a label",
    "📊 {month} so far\nMeetings held: {held} · without record: {unrecorded} · cancelled:"
    " {cancelled}\nEncaminhamentos opened: {opened} · devolutivas received: {answered} ·"
    " overdue: {overdue}\nAtas in progress: {atas}": "counts after their labels",
    "Chasing of devolutivas: reminder {before}; overdue: {steps}, meeting agenda and weekly"
    " digest from day {agenda}.": 'day numbers of the delay, after "dia"',
    "group on day {n}": 'a day number of the delay, after "dia"',
    "private on day {n}": 'a day number of the delay, after "dia"',
    "e-mail on day {n}": 'a day number of the delay, after "dia"',
}
# Plural entries whose form follows a placeholder other than {n} (None: a count not shown,
# such as the number of sectors in a list the verb agrees with).
SELECTORS: dict[str, str | None] = {
    "⚠️ Coordination: {sectors} missed the last {n} meetings in a row."
    " It may be worth a call.": None,
    "In {year}, {planned} meeting was planned: {held} held, {unrecorded} without record"
    " and {cancelled} cancelled.": "planned",
}
KNOWN_GENDER = {"before a feminine place", "before a masculine place"}
SAMPLES = {
    "sector": "Saúde",
    "sectors": "Saúde, Educação",
    "old": "Saúde",
    "new": "Educação",
    "owers": "Saúde, Educação",
    "missing": "Saúde, Educação",
    "place": "Escola Municipal Centro",
    "group": "Primeira Infância",
    "name": "Ana",
    "person": "Ana",
    "who": "Ana",
    "coordinator": "Ana",
    "year": "2026",
    "code": "ENC-2026-001",
    "when": "terça, 14/10 às 14h",
    "day": "14/10",
    "date": "14/10",
    "email": "saude@municipio.gov.br",
    "network": "Rede de Proteção Social de Sorriso",
    "description": "acompanhar o CASO-2026-014 " * 8,
    "reason": "capacitação obrigatória " * 4,
}
# A plural noun right after "1 " (the singular form was wanted).
PLURAL_NOUNS = (
    "dias horas minutos semanas meses anos setores ações tarefas reuniões pendências membros"
    " encaminhamentos devolutivas atas lembretes pessoas vezes mensagens caracteres letras"
    " planos respostas presenças pedidos avisos identificadores atrasadas concluídas"
    " realizadas canceladas"
).split()
ONE_PLURAL = re.compile(r"(?<![\d/.,])\b1 (?:" + "|".join(PLURAL_NOUNS) + r")\b")
# Articles guessed before a name people choose: its gender is unknown.
CHOSEN = ("Saúde", "Escola Municipal Centro", "Primeira Infância", "Ana", "Educação")
GUESSED_ARTICLE = re.compile(
    r"\b(?:do|da|dos|das|no|na|nos|nas|ao|à|pelo|pela|o|a|um|uma)\s+(?:local\s+)?(?:"
    + "|".join(re.escape(c) for c in CHOSEN)
    + r")\b",
    re.IGNORECASE,
)
# The register of a colleague writing to the group: one form each.
REGISTER = {
    r"(?<!por )\btipo\b(?! de)": "por exemplo",
    r"\bpra\b|\bpro\b": "para",
    r"\bManda\b|\bUsa\b|\bEscreve\b|\bDiz\b": "Mande / Use / Escreva / Diga",
    r"\d letras|\} letras": "caracteres",
    r"\w\(s\)|\w\(a\)(?!s)": "plural or gender forms, not (s)/(a)",
    r"\bex\.:": "por exemplo",
    r"redação da ata": "responsável pela ata",
    r"\bTema\b": "Pauta",
    r"nunca ainda|ainda nunca": "nenhuma vez",
    r"\bO seu hoje\b": "Seu setor agora",
    r"!r\}": "“{text}” (one quoting style)",
    r"'": "“…” (one quoting style)",
    r"(?<![=(])\"": "“…” (one quoting style)",
}
ENGLISH = re.compile(
    r"\b(?:the|and|meeting|meetings|sector|sectors|please|error|with|you|your|will|this"
    r"|that|from|is|are|send|reply|deadline|minutes|not|of)\b",
)


def _entries() -> list[Message]:
    return [m for m in catalog_tool.load("pt_BR") if m.id and m.string]


def _ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _numbers(msgid: str) -> set[str]:
    names = {name for name, _spec in PLACEHOLDER.findall(msgid)}
    counted = {n for n in names if n in NUMBERS}
    counted |= set(
        re.findall(r"\bday \{(\w+)\}|\{(\w+)\} days?\b", msgid)
        and [
            x for pair in re.findall(r"\bday \{(\w+)\}|\{(\w+)\} days?\b", msgid) for x in pair if x
        ]
    )
    return counted


def _render(template: str, msgid: str, count: int | None, selector: str | None) -> str:
    numbers = _numbers(msgid)

    def value(match: re.Match[str]) -> str:
        name, spec = match[1], match[2]
        if name in numbers:
            number = 5 if name != selector or count is None else count
            if msgid in ALLOWED:
                number = 20
            return format(number, spec or "")
        if spec:
            return format(7, spec)
        return SAMPLES.get(name, "CRAS")

    return PLACEHOLDER.sub(value, template)


def _renderings() -> list[tuple[str, str]]:
    out = []
    for message in _entries():
        if message.context in KNOWN_GENDER:
            continue  # the code picks "na"/"no" from words it knows (bot/rules/calendar.py)
        ids = _ids(message)
        strings = _strings(message)
        if len(ids) == 1:
            out.append((ids[0], _render(strings[0], ids[0], 1, next(iter(_numbers(ids[0])), None))))
            continue
        names = _numbers(ids[0]) | _numbers(ids[1])
        if ids[0] in SELECTORS:
            selector = SELECTORS[ids[0]]
        else:
            selector = "n" if "n" in names else next(iter(sorted(names)), None)
        for form, string in enumerate(strings):
            out.append((ids[0], _render(string, ids[0], 1 if form == 0 else 5, selector)))
    return out


RENDERINGS = _renderings()


def _failures(check) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{msgid!r} → {text!r}" for msgid, text in RENDERINGS if check(text)]


def test_a_number_one_takes_the_singular() -> None:
    assert _failures(ONE_PLURAL.search) == []


def test_no_article_is_guessed_before_a_chosen_name() -> None:
    assert _failures(GUESSED_ARTICLE.search) == []


@pytest.mark.parametrize("pattern", sorted(REGISTER))
def test_one_register(pattern: str) -> None:
    found = _failures(re.compile(pattern).search)
    assert found == [], f"use {REGISTER[pattern]}: " + "\n".join(found)


def _without_code(text: str) -> str:
    text = re.sub(r"/\w+", " ", text)  # commands
    text = re.sub(r"\b[A-Z_]{3,}\b|https?://\S+|\S+@\S+|\.\w{2,4}\b", " ", text)
    return text


def test_no_english_is_left_in_pt_br() -> None:
    assert _failures(lambda text: ENGLISH.search(_without_code(text))) == []


def test_every_message_fits_in_one_chat_message() -> None:
    assert _failures(lambda text: len(text) > PLATFORM_LIMIT) == []


def test_every_shown_number_has_plural_forms_or_a_reason() -> None:
    bare = [
        message.id
        for message in _entries()
        if isinstance(message.id, str) and _numbers(message.id) and message.id not in ALLOWED
    ]
    assert bare == []


def test_the_allowed_list_names_real_messages() -> None:
    ids = {_ids(m)[0] for m in _entries()}
    assert [msgid for msgid in [*ALLOWED, *SELECTORS] if msgid not in ids] == []
