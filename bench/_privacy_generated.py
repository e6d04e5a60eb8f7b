"""Texts made from templates with random values, for ``bench/bench_privacy.py``: the
corpus and the held-out set were written by the hand that wrote the screen; here the
names, numbers and streets are drawn from lists the screen does not hold (half of the
first names are rare ones it has never seen), so the figures show what its lists and
layouts miss.
"""

from __future__ import annotations

import random

from tests.privacy_corpus import Example

COMMON_FIRST = "Maria Ana Pedro João Lucas Gabriel Julia Sofia Miguel Helena Davi Laura".split()
RARE_FIRST = (
    "Kauany Thayllane Wendel Jhonatan Ketlyn Nicolly Emanoel Adryan Kemilly Raylson "
    "Sthefany Dheniffer Cleiton Edivaldo Gilmar Josué Rosivaldo Benedita Rosineide "
    "Damiana Genivaldo Laércio Zacarias Iasmin"
).split()
SURNAMES = (
    "Silva Santos Oliveira Nascimento Barcelos Tomé Sampaio Figueiredo Amorim Brandão "
    "Lacerda Pimentel Quintino Sobral"
).split()
STREETS = (
    "das Flores|Sete de Setembro|Dom Pedro II|São Benedito|Projetada 4|Maria Ortiz|"
    "Tiradentes|do Comércio|XV de Novembro|José Bonifácio"
).split("|")
STREET_WORDS = ("Rua", "Av.", "Avenida", "Travessa", "rua")
SERVICES = ("CRAS", "CREAS", "UBS", "CAPS", "CMEI", "Escola Municipal", "Conselho Tutelar")
PLACES = ("Centro", "Jardim Camburi", "Maruípe", "Santo Antônio", "Itararé")
DDDS = ("27", "28", "41", "11", "71")


def _cpf(rng: random.Random, *, valid: bool = True) -> str:
    digits = [rng.randrange(10) for _ in range(9)]
    for n in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(n + 1, 1, -1), strict=False))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    if not valid:
        digits[10] = (digits[10] + 1) % 10
    d = "".join(map(str, digits))
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"


def _nis(rng: random.Random) -> str:
    base = "1" + "".join(str(rng.randrange(10)) for _ in range(9))
    total = sum(int(c) * w for c, w in zip(base, (3, 2, 9, 8, 7, 6, 5, 4, 3, 2), strict=True))
    check = 11 - total % 11
    d = base + str(0 if check >= 10 else check)
    return f"{d[:3]}.{d[3:8]}.{d[8:10]}-{d[10]}"


def _cns(rng: random.Random) -> str:
    while True:
        body = "7" + "".join(str(rng.randrange(10)) for _ in range(13))
        for last in "0123456789":
            number = body + last
            if sum(int(c) * w for c, w in zip(number, range(15, 0, -1), strict=True)) % 11 == 0:
                return f"{number[:3]} {number[3:7]} {number[7:11]} {number[11:]}"


def _date(rng: random.Random, *, year: bool = True) -> str:
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    return f"{day:02d}/{month:02d}" + (f"/{rng.randint(2008, 2025)}" if year else "")


def _first(rng: random.Random) -> str:
    return rng.choice(COMMON_FIRST if rng.random() < 0.5 else RARE_FIRST)


def _full(rng: random.Random) -> str:
    return f"{_first(rng)} {rng.choice(SURNAMES)}"


def _street(rng: random.Random) -> str:
    return f"{rng.choice(STREET_WORDS)} {rng.choice(STREETS)}, {rng.randint(2, 1999)}"


def _mobile(rng: random.Random) -> str:
    return f"({rng.choice(DDDS)}) 9{rng.randint(8000, 9999)}-{rng.randint(1000, 9999)}"


def _landline(rng: random.Random) -> str:
    return f"({rng.choice(DDDS)}) 3{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"


def _positive(rng: random.Random) -> tuple[str, str]:
    choices = [
        (lambda: f"a criança {_full(rng)} faltou à escola", "name"),
        (lambda: f"o adolescente {_first(rng)} {_full(rng)} está sem vaga", "name"),
        (lambda: f"{_first(rng)}, {rng.randint(1, 17)} anos, em acompanhamento", "name"),
        (lambda: f"{_first(rng)} {_date(rng)} consulta no CAPSi", "name"),
        (lambda: f"mãe: {_full(rng)}", "name"),
        (lambda: f"gestante {_first(rng)}, pré-natal atrasado", "name"),
        (lambda: f"CPF da responsável {_cpf(rng)}", "cpf"),
        (lambda: f"CPF {_cpf(rng, valid=False)} (conferir)", "cpf"),
        (lambda: f"NIS {_nis(rng)}", "nis"),
        (lambda: f"cartão SUS {_cns(rng)}", "cns"),
        (lambda: f"RG {rng.randint(1, 9)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}", "rg"),
        (lambda: f"contato da mãe {_mobile(rng)}", "phone"),
        (lambda: f"ligar {_mobile(rng)} à tarde", "phone"),
        (lambda: f"telefone da família {_landline(rng)}", "phone"),
        (lambda: f"mora na {_street(rng)}", "address"),
        (lambda: f"endereço: {_street(rng)}, {rng.choice(PLACES)}", "address"),
        (lambda: f"criança nascida em {_date(rng)}", "birth_date"),
    ]
    make, kind = rng.choice(choices)
    return make(), kind


def _negative(rng: random.Random) -> str:
    service = rng.choice(SERVICES)
    choices = [
        lambda: f"Reunião {_date(rng, year=False)} às {rng.randint(8, 17)}h no {service}",
        lambda: f"{service} {rng.choice(PLACES)}, {_street(rng)}",
        lambda: f"Telefone do {service}: {_landline(rng)}",
        lambda: f"Ofício nº {rng.randint(1, 300):03d}/{rng.randint(2020, 2026)}",
        lambda: f"Lei nº {rng.randint(1000, 15000)}/{rng.randint(1990, 2026)}",
        lambda: f"CEP {rng.randint(10, 99)}.{rng.randint(100, 999)}-{rng.randint(100, 999)}",
        lambda: f"E-2026-{rng.randint(1, 999):03d} vence em {_date(rng, year=False)}",
        lambda: f"CASO-2026-{rng.randint(1, 999):03d}: a criança segue no {service}",
        lambda: f"{_full(rng)} ({service}) vai enviar até {_date(rng, year=False)}",
        lambda: f"Presentes: {_full(rng)} ({service}), {_full(rng)} (Saúde)",
        lambda: f"{service} {_full(rng)}: atendimento de 8h às 17h",
        lambda: f"GT Infância na sala {rng.randint(1, 20)} do {service}",
        lambda: f"crianças de 0 a {rng.randint(3, 6)} anos em {rng.randint(2, 40)} famílias",
    ]
    return rng.choice(choices)()


def generated(count: int = 400, seed: int = 13) -> tuple[Example, ...]:
    """``count`` texts, half with personal data, the same for a given ``seed``."""
    rng = random.Random(seed)
    examples = []
    for index in range(count):
        if index % 2:
            text, kind = _positive(rng)
            examples.append(Example(text, frozenset({kind})))
        else:
            examples.append(Example(_negative(rng), frozenset()))
    return tuple(examples)
