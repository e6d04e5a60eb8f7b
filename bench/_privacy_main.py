"""The screen of main at a7144bc, before issue 13, kept as the baseline that
``bench/bench_privacy.py`` measures beside ``bot/rules/privacy.py`` (the bot's only
screen; this copy is not used by the bot). Only its detection is kept: the rules as
its docstring said them: CPF and NIS/PIS with right check digits, phones (any landline
too), personal e-mail addresses, dates after a birth word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_


class Identifier(StrEnum):
    CPF = "cpf"
    NIS = "nis"  # NIS, PIS, PASEP and NIT share the number and its check digit
    PHONE = "phone"
    EMAIL = "email"
    BIRTH_DATE = "birth_date"


@dataclass(frozen=True)
class Finding:
    """Where an identifier is in the text (the text itself is deliberately not kept)."""

    kind: Identifier
    start: int
    end: int


# When two findings overlap, the first kind in this order wins.
_PRIORITY = (
    Identifier.EMAIL,
    Identifier.CPF,
    Identifier.NIS,
    Identifier.BIRTH_DATE,
    Identifier.PHONE,
)

# "um CPF e um telefone": each kind with its article, joined for the current locale.
_KIND_NAMES = {
    Identifier.CPF: N_("a CPF"),
    Identifier.NIS: N_("a NIS/PIS number"),
    Identifier.PHONE: N_("a phone number"),
    Identifier.EMAIL: N_("a personal e-mail address"),
    Identifier.BIRTH_DATE: N_("a date of birth"),
}

_REDACTION_MARKERS = {
    Identifier.CPF: N_("[CPF removed]"),
    Identifier.NIS: N_("[NIS/PIS removed]"),
    Identifier.PHONE: N_("[phone removed]"),
    Identifier.EMAIL: N_("[e-mail removed]"),
    Identifier.BIRTH_DATE: N_("[date of birth removed]"),
}

SCREEN_EXAMPLE = "CASO-2025-014: avaliação de saúde mental e retorno à Rede"

INSTITUTIONAL_SUFFIXES = ("gov.br", "leg.br", "jus.br", "mp.br", "def.br", "mil.br")

GENERIC_PROVIDERS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.com.br",
        "outlook.com",
        "outlook.com.br",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.com.br",
        "ymail.com",
        "icloud.com",
        "me.com",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
        "ig.com.br",
        "globo.com",
        "globomail.com",
        "r7.com",
        "zipmail.com.br",
        "protonmail.com",
        "proton.me",
        "aol.com",
        "gmx.com",
    }
)

# Every DDD in use in Brazil (Anatel).
_DDDS = frozenset(
    "11 12 13 14 15 16 17 18 19 21 22 24 27 28 31 32 33 34 35 37 38 41 42 43 44 45 46 47 48 49 "
    "51 53 54 55 61 62 63 64 65 66 67 68 69 71 73 74 75 77 79 81 82 83 84 85 86 87 88 89 "
    "91 92 93 94 95 96 97 98 99".split()
)

_MONTHS = frozenset(
    "janeiro fevereiro março marco abril maio junho julho agosto setembro outubro novembro "
    "dezembro jan fev mar abr mai jun jul ago set out nov dez enero febrero marzo mayo junio "
    "julio septiembre setiembre octubre noviembre diciembre ene dic".split()
)

_DASHES = r"\-\u2010-\u2015"  # hyphen and the dashes phones and CPFs get typed with

# Spans that look like identifiers but are not: CNJ process numbers and case codes.
_NOT_IDENTIFIERS = re.compile(
    rf"\d{{7}}[{_DASHES}]\d{{2}}\.\d{{4}}\.\d\.\d{{2}}\.\d{{4}}"
    rf"|(?<!\w)[^\W\d_]{{1,15}}[{_DASHES}]\d{{4}}[{_DASHES}]\d{{1,6}}(?!\w)"
)

_ELEVEN_DIGITS = re.compile(
    rf"(?<!\d)(?<!\d[.,/{_DASHES}])"
    rf"(?:\d{{3}}[. ]?\d{{3}}[. ]?\d{{3}}[ {_DASHES}]?\d{{2}}"
    rf"|\d{{3}}[. ]?\d{{5}}[. ]?\d{{2}}[ {_DASHES}]?\d)"
    rf"(?!\d|[.,/{_DASHES}]\d)"
)

_PHONE = re.compile(
    rf"""
    (?<![\w+{_DASHES}])(?<!\d[.,])
    (?P<cc>\+\s?55[\s.{_DASHES}]?)?
    (?:
        \(\s?0?(?P<pddd>\d{{2}})\s?\)[\s.{_DASHES}]?
      | 0?(?P<ddd>\d{{2}})(?P<dsep>[\s.{_DASHES}]?)
    )?
    (?P<a>9[\s.]?\d{{4}}|\d{{4}})
    (?P<sep>[\s.{_DASHES}]?)
    (?P<b>\d{{4}})
    (?!\w|[.,{_DASHES}]\d)
    """,
    re.VERBOSE,
)

_DOCUMENT_NUMBER_BEFORE = re.compile(
    r"(?:n\.?\s?[º°]\.?|processo|protocolo|of[ií]cio|memorando|memo|lei|decreto"
    r"|portaria|resolu[çc][ãa]o|r\$)\s*:?\s*$",
    re.IGNORECASE,
)

_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.+\-]+@(?P<domain>(?:[^\W_](?:[\w\-]*[^\W_])?\.)+[^\W\d_]{2,})"
    r"(?![\w\-]|\.[^\W_])"
)

_BIRTH_DATE = re.compile(
    rf"""
    (?<!\w)
    (?P<keyword>
        nasc(?:id[oa]s?(?:\s?\([oa]s?\))?|eu|imento|\.|(?!\w))
      | naci(?:d[oa]s?(?:\s?\([oa]s?\))?|miento)(?!\w)
      | f(?:echa)?\.?\s?(?:de\s)?nac\.?(?!\w)
      | d\.?\s?n(?!\w)\.?
      | born | birth\s?date | date\s+of\s+birth | d\.o\.b\.? | dob(?!\w)
    )
    (?:
        [\s:.,;()\[\]{_DASHES}]*                     # "DN: 12/03/2015", "nascida em 3 de março"
        (?:(?:em|no\s+dia|no|dia|aos|el(?:\s+d[ií]a)?|on|é)[\s:.,]+)?
      | (?:\s+[^\W\d_]+(?:\([oa]\))?){{1,3}}?         # "data de nascimento da criança: ..."
        (?:\s*:\s*|\s+(?:é|em|no\s+dia|el|on)\s+)
    )
    (?P<date>
        (?P<day>\d{{1,2}})\s?[/.{_DASHES}]\s?(?P<month>\d{{1,2}})(?:\s?[/.{_DASHES}]\s?\d{{2,4}})?
      | \d{{4}}[{_DASHES}](?P<iso_month>\d{{2}})[{_DASHES}](?P<iso_day>\d{{2}})
      | (?P<day_n>\d{{1,2}})[º°o]?\s+(?:de\s+)?(?P<month_name>[^\W\d_]{{3,10}})\.?
        (?:\s*(?:de|/|,)?\s*\d{{4}})?
    )
    (?!\d)
    """,
    re.VERBOSE | re.IGNORECASE,
)

_CERTIFICATE_BEFORE = re.compile(r"(?:certid\w+|registros?)\s+(?:de\s+)?$", re.IGNORECASE)

_MASK = "\ue000"  # a private-use character: no digit, letter or separator


def is_valid_cpf(number: str) -> bool:
    """Whether the 11 digits in ``number`` (formatting ignored) carry a CPF's check digits."""
    digits = [int(c) for c in number if c.isdecimal()]
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    for n in (9, 10):
        total = sum(d * w for d, w in zip(digits[:n], range(n + 1, 1, -1), strict=True))
        if total * 10 % 11 % 10 != digits[n]:
            return False
    return True


def is_valid_nis(number: str) -> bool:
    """Whether the 11 digits in ``number`` carry a NIS/PIS/PASEP/NIT check digit."""
    digits = [int(c) for c in number if c.isdecimal()]
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    total = sum(d * w for d, w in zip(digits[:10], (3, 2, 9, 8, 7, 6, 5, 4, 3, 2), strict=True))
    check = 11 - total % 11
    return (0 if check >= 10 else check) == digits[10]


def _normalize_domain(entry: str) -> str:
    return entry.strip().lower().lstrip("@.").rstrip(".")


def is_institutional_email(address: str, extra_domains: Iterable[str] = ()) -> bool:
    """Whether ``address`` belongs to a public body (or to a domain/address the network
    whitelisted) rather than to a person.

    ``extra_domains`` holds domains (``prefeitura.com.br`` also covers its subdomains)
    or whole addresses (``crasnorte@gmail.com``); a generic provider given as a domain
    is ignored, so a setting can never let every Gmail address through.
    """
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return False
    domain = domain.rstrip(".")
    allowed = list(INSTITUTIONAL_SUFFIXES)
    for entry in extra_domains:
        normalized = _normalize_domain(entry)
        if "@" in normalized:
            if normalized == f"{local}@{domain}":
                return True
        elif normalized and normalized not in GENERIC_PROVIDERS:
            allowed.append(normalized)
    return any(domain == suffix or domain.endswith("." + suffix) for suffix in allowed)


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


def _numbers(text: str) -> Iterable[Finding]:
    for match in _ELEVEN_DIGITS.finditer(text):
        if is_valid_cpf(match.group()):
            yield Finding(Identifier.CPF, match.start(), match.end())
        elif is_valid_nis(match.group()):
            yield Finding(Identifier.NIS, match.start(), match.end())


def _is_phone(match: re.Match[str], text: str) -> bool:
    if len({c for c in match.group() if c.isdecimal()}) == 1:
        return False  # 9999-9999, (99) 99999-9999: placeholders
    ddd = match.group("pddd") or match.group("ddd")
    local = match.group("a")
    if ddd is not None and ddd not in _DDDS:
        return False  # searched again one character later, without the "DDD"
    digits_a = "".join(c for c in local if c.isdecimal())
    if len(digits_a) == 4 and digits_a[0] in "01":
        return False
    separated = bool(match.group("sep")) or digits_a != local
    if ddd is None:
        if match.group("cc") or not separated:
            return False  # "+55" with no DDD, or a bare 8/9-digit number
        if len(digits_a) == 4 and all(
            1900 <= int(part) <= 2099 for part in (digits_a, match.group("b"))
        ):
            return False  # a range of years
        before = text[max(0, match.start() - 20) : match.start()]
        if _DOCUMENT_NUMBER_BEFORE.search(before):
            return False
        return True
    bare = not (match.group("cc") or match.group("pddd") or match.group("dsep") or separated)
    return not bare or len(digits_a) == 5  # bare digits only as DDD + 9-digit mobile


def _phones(text: str) -> Iterable[Finding]:
    pos = 0
    while match := _PHONE.search(text, pos):
        if _is_phone(match, text):
            yield Finding(Identifier.PHONE, match.start(), match.end())
            pos = match.end()
        else:
            pos = match.start() + 1


def _is_birth_date(match: re.Match[str], text: str) -> bool:
    before = text[max(0, match.start() - 20) : match.start()]
    if _CERTIFICATE_BEFORE.search(before):
        return False  # "certidão de nascimento até 14/03": a document, not a birth
    if match.group("month_name") is not None:
        return match.group("month_name").lower() in _MONTHS and 1 <= int(match["day_n"]) <= 31
    if match.group("iso_month") is not None:
        day, month = int(match["iso_day"]), int(match["iso_month"])
    else:
        day, month = int(match["day"]), int(match["month"])
    return 1 <= day <= 31 and 1 <= month <= 12


def _birth_dates(text: str) -> Iterable[Finding]:
    pos = 0
    while match := _BIRTH_DATE.search(text, pos):
        if _is_birth_date(match, text):
            yield Finding(Identifier.BIRTH_DATE, match.start("date"), match.end("date"))
            pos = match.end()
        else:
            pos = match.start() + 1


def find_identifiers(text: str, *, extra_domains: Iterable[str] = ()) -> list[Finding]:
    """The personal identifiers in ``text``, in order, without overlaps."""
    extra = tuple(extra_domains)
    candidates: list[Finding] = []
    masked_spans: list[tuple[int, int]] = []
    for match in _EMAIL.finditer(text):
        masked_spans.append(match.span())
        if not is_institutional_email(match.group(), extra):
            candidates.append(Finding(Identifier.EMAIL, match.start(), match.end()))
    masked_spans.extend(match.span() for match in _NOT_IDENTIFIERS.finditer(text))
    masked = _mask(text, masked_spans)
    candidates.extend(_numbers(masked))
    candidates.extend(_birth_dates(masked))
    candidates.extend(_phones(masked))

    candidates.sort(key=lambda f: (_PRIORITY.index(f.kind), f.start - f.end, f.start))
    kept: list[Finding] = []
    for finding in candidates:
        if all(finding.end <= other.start or other.end <= finding.start for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)
