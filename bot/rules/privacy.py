"""Screening free text for personal identifiers before the bot stores, repeats or logs it.

The network discusses children and families in vulnerable situations; the group, the
database and the logs must never receive their identifiers. Every free text headed for
storage or the group (commands, table cells, the text of an ata's file) goes through
:func:`screen` first: when it finds one, the text is refused and the sender is told which
kinds were found (never the values) and to refer to the case by its code. :func:`redact`
replaces the identifiers with markers; the log records and the values a refusal would
echo go through it (``bot/logs.py``, ``bot/errors.py``). This is the only screen.

Rules, chosen to err on the side of the people served where a number says what it is,
and on the side of the network's own text where only the context could tell:

- CPF and NIS/PIS/PASEP/NIT are 11 digits. Bare or spaced, they are reported only when
  their check digits are right (numbers of one repeated digit never are; when both
  checks pass, it is a CPF). Written in their own layout (``123.456.789-09``,
  ``120.12345.67-8``) or after their label (``CPF``, ``NIS``, ``PIS``...), they are
  reported whatever the check digits say: a typo is still a CPF.
- CNS (Cartão Nacional de Saúde) is 15 digits (``898 0012 3456 7890``), reported with
  its check (DATASUS's rule) or after its label (``CNS``, ``cartão SUS``). An RG is
  reported after its label (``RG``, ``identidade``) or in the layouts no institutional
  number has (``12.345.678-9``, ``MG-12.345.678``).
- Phones are Brazilian: a local number of 8 digits (first digit 2-9) or 9 digits
  (first digit 9) split by a hyphen, dot or space, with an optional DDD (a real area
  code, with or without parentheses) and ``+55``. A bare run of digits is only a phone
  with its DDD and 9 digits (``41999998888``). Mobiles are always reported; a landline
  (8 digits from 2 to 5, the public offices' numbers, as in seed 001's letterhead) only
  when a person's word is near it ("contato da mãe: 3333-4444"). Not phones: CEPs,
  CNJ/SEI process numbers, CNPJs, case codes (``CASO-2025-014``), year ranges, one
  repeated digit, numbers glued to letters or other numbers, and (without DDD) numbers
  right after ``nº``, ``ofício``, ``processo``, ``lei``, ``R$``...
- E-mail addresses are personal unless the domain is a public body's
  (``*.gov.br``, ``*.leg.br``, ``*.jus.br``, ``*.mp.br``, ``*.def.br``,
  ``*.mil.br``) or one the network whitelisted (``extra_domains``: domains, matched
  with their subdomains, or whole addresses). Generic providers (gmail.com...) can
  never be whitelisted as a domain, only address by address.
- A date is a date of birth only right after a birth word (``nascido em``,
  ``nasc.``, ``DN:``, ``data de nascimento``, ``nacido el``...), or a few words
  later when a ``:``/``é``/``em`` introduces it (``data de nascimento da criança:``);
  not after ``certidão``/``registro de nascimento``; a date alone (a meeting) is not.
- An address is a street word (``Rua``, ``Av.``, ``Travessa``, ``Praça``...), a name and
  a number (or ``s/n``). It is the network's own (and let through) when the nearest
  word before it names a service (``CRAS Centro, Rua ...``, ``Secretaria de Saúde,
  Av. ...``) or a ``sala``/``andar``/``Ed.`` follows it, unless a person's word is
  nearer (``a família mora na Rua ...``).
- Names are found conservatively, never from capitals alone (the atas name the members
  present): a capitalised name after a word for a person served (``a criança Pedro
  Henrique Souza``, ``mãe: Maria``, ``família Silva``), and a name that begins with a
  known first name right before a date, an age or a birth word (``Maria 12/03/2015
  consulta``, ``Pedro, 7 anos``). A single word must be a known first name (a surname
  after ``família``); several must hold at least one known name. Programmes and
  services (``Criança Feliz``, ``Família Acolhedora``, ``Pastoral da Criança``) and
  places (``Santa Maria``, ``Vitória``) are not names.

Nothing here keeps the matched text: findings are kinds and offsets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from babel.lists import format_list

from bot.errors import UserError
from bot.i18n import N_, current_locale, gettext


class Identifier(StrEnum):
    CPF = "cpf"
    NIS = "nis"  # NIS, PIS, PASEP and NIT share the number and its check digit
    CNS = "cns"  # Cartão Nacional de Saúde (cartão SUS)
    RG = "rg"
    PHONE = "phone"
    EMAIL = "email"
    BIRTH_DATE = "birth_date"
    ADDRESS = "address"
    NAME = "name"


@dataclass(frozen=True)
class Finding:
    """Where an identifier is in the text (the text itself is deliberately not kept)."""

    kind: Identifier
    start: int
    end: int


# When two findings overlap, the first kind in this order wins (after the labelled ones).
_PRIORITY = (
    Identifier.EMAIL,
    Identifier.CPF,
    Identifier.NIS,
    Identifier.CNS,
    Identifier.RG,
    Identifier.BIRTH_DATE,
    Identifier.PHONE,
    Identifier.ADDRESS,
    Identifier.NAME,
)

# "um CPF e um telefone": each kind with its article, joined for the current locale.
_KIND_NAMES = {
    Identifier.CPF: N_("a CPF"),
    Identifier.NIS: N_("a NIS/PIS number"),
    Identifier.CNS: N_("a Cartão SUS (CNS) number"),
    Identifier.RG: N_("an RG number"),
    Identifier.PHONE: N_("a phone number"),
    Identifier.EMAIL: N_("a personal e-mail address"),
    Identifier.BIRTH_DATE: N_("a date of birth"),
    Identifier.ADDRESS: N_("an address"),
    Identifier.NAME: N_("a person's name"),
}

_REDACTION_MARKERS = {
    Identifier.CPF: N_("[CPF removed]"),
    Identifier.NIS: N_("[NIS/PIS removed]"),
    Identifier.CNS: N_("[CNS removed]"),
    Identifier.RG: N_("[RG removed]"),
    Identifier.PHONE: N_("[phone removed]"),
    Identifier.EMAIL: N_("[e-mail removed]"),
    Identifier.BIRTH_DATE: N_("[date of birth removed]"),
    Identifier.ADDRESS: N_("[address removed]"),
    Identifier.NAME: N_("[name removed]"),
}

SCREEN_EXAMPLE = "CASO-2025-014: avaliação de saúde mental e retorno à Rede"

INSTITUTIONAL_SUFFIXES = ("gov.br", "leg.br", "jus.br", "mp.br", "def.br", "mil.br")

# Providers where anyone opens a personal mailbox (also bot.rules.trust's list).
GENERIC_PROVIDERS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.com.br",
        "outlook.com",
        "outlook.com.br",
        "live.com",
        "live.com.br",
        "msn.com",
        "yahoo.com",
        "yahoo.com.br",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "oi.com.br",
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
        "yandex.com",
        "mail.com",
        "zoho.com",
    }
)

# Every DDD in use in Brazil (Anatel).
_DDDS = frozenset(
    "11 12 13 14 15 16 17 18 19 21 22 24 27 28 31 32 33 34 35 37 38 41 42 43 44 45 46 47 48 49 "
    "51 53 54 55 61 62 63 64 65 66 67 68 69 71 73 74 75 77 79 81 82 83 84 85 86 87 88 89 "
    "91 92 93 94 95 96 97 98 99".split()
)

_UFS = "AC|AL|AP|AM|BA|CE|DF|ES|GO|MA|MT|MS|MG|PA|PB|PR|PE|PI|RJ|RN|RS|RO|RR|SC|SP|SE|TO"

_MONTHS = frozenset(
    "janeiro fevereiro março marco abril maio junho julho agosto setembro outubro novembro "
    "dezembro jan fev mar abr mai jun jul ago set out nov dez enero febrero marzo mayo junio "
    "julio septiembre setiembre octubre noviembre diciembre ene dic".split()
)


def _fold(text: str) -> str:
    """Lower-case and accent-free, one character for each of ``text``'s (so that offsets
    in the folded text are offsets in ``text``)."""
    return "".join(unicodedata.normalize("NFKD", c)[0].lower()[:1] for c in text)


# First names common in Brazil (IBGE, Censo 2010, and the names given to children since),
# accents and case folded. Words that are also places or things (Vitória, Rosa, Glória,
# Luz, Graça, Aparecida, Conceição...) are left out: alone, they say nothing.
_FIRST_NAMES = frozenset(
    _fold(name)
    for name in """
    maria jose ana joao antonio francisco carlos paulo pedro lucas luiz marcos luis gabriel
    rafael daniel marcelo bruno eduardo felipe raimundo rodrigo manoel manuel mateus matheus
    andre fernando fabio leonardo gustavo guilherme leandro tiago thiago anderson ricardo
    marcio jorge sebastiao alexandre roberto edson diego sergio claudio joaquim renato
    vitor victor julio juliano geraldo adriano luciano marcio flavio vinicius davi david
    miguel arthur artur heitor bernardo theo teo enzo lorenzo samuel benjamin nicolas
    henrique murilo gael isaac joaquim caua kaua kauan caio cauê caue otavio bento noah
    ravi lucca luca levi anthony antony emanuel erick eric igor yuri iago diogo wesley
    wellington washington jefferson jonas jonathan johnny kevin kaique kaio ryan rian
    breno renan ruan yago hugo lorenzo valentim benicio vicente emanuelly
    francisca antonia adriana juliana marcia fernanda patricia aline sandra camila amanda
    bruna jessica leticia julia luciana vanessa mariana gabriela vera claudia simone
    raimunda josefa jaqueline jacqueline lucia tatiane tatiana eliane elaine daniela debora
    renata carla cristiane cristina rita regina roseli rosana rosangela luana beatriz
    larissa priscila michele michelle sabrina helena alice laura valentina heloisa heloise
    sophia sofia cecilia maite lorena livia isabela isabella isadora manuela lara giovanna
    giovana yasmin emilly emily lavinia mirella mirela clara luisa luiza eloa esther ester
    melissa rebeca agatha antonella ayla aurora liz nicole olivia pietra stella estela
    marina raquel sara sarah bianca barbara carolina caroline karoline
    karina kelly katia keila thais tais thalia milena natalia nathalia paula paloma
    priscilla rayane raissa samara sueli silvia solange tereza teresa vania viviane
    zilda ivone ivete iracema irene ines ingrid joana joyce josiane jussara kamila
    lais leila lidiane luciene madalena marlene marli marta mayara monica nadia neide
    nilza noemi odete olga penelope quiteria rafaela rosilene sonia suzana
    tania valeria vilma zuleide edna elisa eliza elisangela elizabete fabiana flavia
    gisele giselle graziele ilda isabel jane janaina jordana jucimara judite jurema
    lucimar luzia marilene mariane marisa marlucia mercia nair nathalie rosimeire
    sheila taina thamires tamires valdirene viviane yara zelia cida tiao chico
    duda malu nando juca
    """.split()
)

# Surnames common in Brazil, for names of several words and "família Silva".
_SURNAMES = frozenset(
    """
    silva santos oliveira souza sousa rodrigues ferreira alves pereira lima gomes costa
    ribeiro martins carvalho almeida lopes soares fernandes vieira barbosa rocha dias
    nascimento andrade moreira nunes marques machado mendes freitas cardoso ramos
    goncalves santana teixeira araujo pinto batista moura cavalcante correia campos
    monteiro castro reis miranda brito nogueira pires farias amaral aguiar cunha
    azevedo medeiros melo mello barros xavier cruz duarte borges jesus sales vasconcelos
    fonseca moraes morais rezende resende siqueira tavares bezerra macedo guimaraes
    queiroz leite coelho fraga paiva peixoto pacheco neves prado matos mattos viana
    camargo franco bastos lacerda leal bispo damasceno conceicao aparecida gloria
    luz paz vitoria graca rosario santiago
    """.split()
)

_ANY_NAME = _FIRST_NAMES | _SURNAMES
# First names that are also words: alone and lowercase after "a mãe", not taken as a name.
_ALSO_WORDS = frozenset(
    "clara aurora bento caio sara levi liz ester estela rita bianca vera graca".split()
)
# Words a phone or a hurried hand may capitalise after "a criança", "o adolescente": not a
# name even when unknown ("a criança Está bem", "o adolescente Foi ouvido").
_COMMON_WORDS = frozenset(
    """
    esta estava estao esteve foi foram era eram sera seria sao tem tinha teve tera vai
    vem veio ficou fica segue seguiu deve devera precisa precisou mora morava reside
    nao sim que com sem para pela pelo por sobre entre apos ate como quando onde qual
    ja ainda tambem muito pouco mais menos bem mal aqui ali esse essa este isso isto
    aquele aquela segundo segunda primeiro primeira novo nova mesmo mesma outro outra
    acolhido acolhida atendido atendida encaminhado encaminhada ouvido ouvida
    """.split()
)
# A run of capitals ends at a service's name: "a família, Pedro do CREAS" names Pedro only.
_SERVICE_WORDS = frozenset(
    "cras creas caps capsi ubs usf esf upa cmei emef emei cmdca ct escola secretaria "
    "prefeitura conselho saude educacao assistencia pastoral creche hospital unidade "
    "centro sede sala".split()
)

_CONNECTORS = frozenset({"da", "de", "do", "das", "dos", "e", "d"})
_HONORIFICS = frozenset({"sr", "sra", "srta", "dona", "seu", "dr", "dra", "d"})
# A run of capitals that starts with one of these is a place: "Santa Maria", "São José".
_PLACE_WORDS = frozenset(
    "sao santa santo vila jardim bairro parque nova novo porto rio campo monte bom boa "
    "alto baixo serra lagoa barra ponta cidade conjunto residencial".split()
)

_DASHES = r"\-\u2010-\u2015"  # hyphen and the dashes phones and CPFs get typed with

# Spans that look like identifiers but are not: CNJ and SEI process numbers, CNPJs, and
# case codes.
_NOT_IDENTIFIERS = re.compile(
    rf"\d{{7}}[{_DASHES}]\d{{2}}\.\d{{4}}\.\d\.\d{{2}}\.\d{{4}}"
    rf"|\d{{5}}\.\d{{6}}/\d{{4}}[{_DASHES}]\d{{2}}"
    rf"|\d{{2}}\.?\d{{3}}\.?\d{{3}}/\d{{4}}[{_DASHES}]\d{{2}}"
    rf"|(?<!\w)[^\W\d_]{{1,15}}[{_DASHES}]\d{{4}}[{_DASHES}]\d{{1,6}}(?!\w)"
)

# --- CPF, NIS, CNS and RG -------------------------------------------------------------------

_ELEVEN_DIGITS = re.compile(
    rf"(?<!\d)(?<!\d[.,/{_DASHES}])"
    rf"(?:\d{{3}}[. ]?\d{{3}}[. ]?\d{{3}}[ {_DASHES}]?\d{{2}}"
    rf"|\d{{3}}[. ]?\d{{5}}[. ]?\d{{2}}[ {_DASHES}]?\d)"
    rf"(?!\d|[.,/{_DASHES}]\d)"
)
_CPF_LAYOUT = re.compile(rf"\d{{3}}\.\d{{3}}\.\d{{3}}[{_DASHES}]\d{{2}}")
_NIS_LAYOUT = re.compile(rf"\d{{3}}\.\d{{5}}\.\d{{2}}[{_DASHES}]\d")

_FIFTEEN_DIGITS = re.compile(
    rf"(?<!\d)(?<!\d[.,/{_DASHES}])"
    rf"[12789]\d{{2}}[ .]?\d{{4}}[ .]?\d{{4}}[ .]?\d{{4}}"
    rf"(?!\d|[.,/{_DASHES}]\d)"
)

_RG_LAYOUT = re.compile(
    rf"(?<![\w.,/{_DASHES}])\d{{1,2}}\.\d{{3}}\.\d{{3}}[{_DASHES}][\dXx](?![\w]|[.,/{_DASHES}]\d)"
    rf"|(?<![\w{_DASHES}])(?:{_UFS})[{_DASHES}]\s?\d{{1,2}}\.?\d{{3}}\.?\d{{3}}"
    rf"(?:[{_DASHES}][\dXx])?(?![\w]|[.,/{_DASHES}]\d)"
)

# A label, the few words that may stand between it and the number ("CPF da mãe:"), the
# number. The digits each label's number has are in _LABELLED_DIGITS.
_LABELLED = re.compile(
    rf"""
    (?<!\w)
    (?:
        (?P<cpf>c\.?\s?p\.?\s?f\.?(?!\w))
      | (?P<nis>(?:n\.?i\.?s|p\.?i\.?s|pasep|nit)(?!\w)(?:\s?/\s?(?:nis|pis|pasep|nit)(?!\w))*
          | n[uú]mero\s+de\s+identifica[çc][ãa]o\s+social)
      | (?P<cns>cns(?!\w)
          | cart(?:[ãa]o|eira|eirinha)\s+(?:do\s+|nacional\s+de\s+)?(?:sus|sa[uú]de)(?!\w))
      | (?P<rg>r\.?\s?g\.?(?!\w)|(?:c[ée]dula|carteira)\s+de\s+identidade)
      | (?P<identity>identidade)
    )
    (?P<gap>(?:[\s:;,()\[\]\#=/{_DASHES}]+|[^\W\d_]{{1,15}}\.?){{0,10}}?)
    (?P<number>\d(?:[ .{_DASHES}]?\d)*(?:[{_DASHES}]?[Xx](?!\w))?)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LABELLED_DIGITS = {
    Identifier.CPF: (9, 12),
    Identifier.NIS: (10, 12),
    Identifier.CNS: (14, 16),
    Identifier.RG: (5, 14),
}
_GAP_WORD = re.compile(r"[^\W\d_]+")
_NUMBER_WORDS = frozenset({"n", "no", "numero", "num", "sob"})
# Words between a label and a number that say the number is another one's ("CPF e
# telefone: 99999-8888"): that number is left to its own rule.
_OTHER_NUMBER_WORDS = frozenset(
    {"e", "ou", "telefone", "tel", "fone", "celular", "contato", "whatsapp", "zap", "cep"}
)

# --- phones ---------------------------------------------------------------------------------

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

# Words (accents folded) that make a landline a person's: the public offices' numbers
# are landlines, the families' are mostly mobiles.
_PERSONAL_PHONE_WORDS = re.compile(
    r"\b(?:mae|pai|genitor\w*|familia\w*|avos?|tia|tio|irma\w*|crianca\w*|adolescente\w*"
    r"|gestante\w*|residen\w*|casa|pessoal|particular|recado\w*|vizinh\w*|usuari\w*"
    r"|assistid\w*|paciente\w*|acolhid\w*|filh[oa]s?|celular|whats\w*|zap|wpp|dele|dela"
    r"|domicil\w*|mora\w*|vitima\w*)\b"
)

# --- e-mail, birth dates ----------------------------------------------------------------------

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

# --- addresses ------------------------------------------------------------------------------

_ADDRESS = re.compile(
    r"""
    (?<![\w.])
    (?P<street>rua|r\.|avenida|av\.?|travessa|trav\.|tv\.|alameda|al\.|rodovia|rod\.|estrada
      |pra[çc]a|p[çc]a\.|largo|beco|viela|servid[ãa]o|ladeira)
    (?!\w)\s*
    (?P<name>(?:\d{1,2}\s+de\s+)?[^\W\d_][\w'’ºª.\-]*
      (?:[ \t]+(?:[^\W\d_][\w'’ºª.\-]*|\d{1,2}[ \t]+de(?=[ \t]))){0,6}?)
    (?P<sep>[ \t]*,[ \t]*|[ \t]*[{DASHES}][ \t]*|[ \t]+)
    (?P<no>(?:n[º°o]?\.?|n[uú]mero|num\.)[ \t]*)?
    (?P<number>\d{1,5}(?:[A-Ea-e](?!\w))?(?![\w/:º°ª]|[.,]\d)|s[ \t]?/[ \t]?n(?!\w))
    """.replace("{DASHES}", _DASHES),
    re.IGNORECASE | re.VERBOSE,
)
# What follows a number that is no house number ("na rua da escola, 2 crianças").
_NOT_A_HOUSE_NUMBER = re.compile(
    r"[ \t]*(?:anos?|mes(?:es)?|dias?|horas?|h|hs|min|crian\w+|fam[ií]lias?|pessoas?"
    r"|adolescentes?|casos?|vezes|%|km|metros?|m)(?!\w)",
    re.IGNORECASE,
)
# Words (accents folded) that say whose an address is. The nearest one before it decides;
# with none, an address is a person's.
_INSTITUTION_WORDS = (
    r"cras|creas|caps\w*|ubs|usf|esf|upa|cmei|emef|emei|eeef\w*|escola\w*|colegio|creche"
    r"|secretaria\w*|prefeitura|camara|conselho\w*|forum|promotoria|ministerio|defensoria"
    r"|delegacia|hospital|unidade|centro|sede|auditorio|sala|ed|edificio|igreja|paroquia"
    r"|pastoral|associacao|instituto|governo|biblioteca|ginasio|clinica|policlinica|posto"
    r"|apae|cejusc|tribunal|vara|cartorio|universidade|faculdade|senac|sesc|sesi|semas"
    r"|semus|sedu|seme|sms|smas|abrigo|instituicao|servico|programa|projeto|casa lar"
    r"|casa de passagem|casa de acolhimento|gabinete|coordenacao|diretoria|gerencia"
)
_PERSON_WORDS = (
    r"mora\w*|reside\w*|residen\w*|domicil\w*|mae|pai|genitor\w*|familia\w*|avos?|tia|tio"
    r"|crianca\w*|adolescente\w*|gestante\w*|usuari\w*|vitima\w*|agressor\w*|vizinh\w*"
    r"|filh[oa]s?|paciente\w*|acolhid\w*|assistid\w*|irma\w*"
)
_WHOSE = re.compile(rf"\b(?:(?P<institution>{_INSTITUTION_WORDS})|(?P<person>{_PERSON_WORDS}))\b")
_INSTITUTION_AFTER = re.compile(r"^[ \t,;\-–]*(?:sala|andar|ed|edificio|sede|gabinete|terreo)\b")

# --- names ------------------------------------------------------------------------------------

# Words for the people the network serves, after which a capitalised name is theirs.
_PERSON_TRIGGER = re.compile(
    r"""
    (?<!\w)
    (?P<trigger>crian[çc]as?|adolescentes?|gestantes?|m[ãa]e|pai|genitor(?:a|es)?
      |(?P<family>fam[ií]lias?)|beb[êe]s?|rec[ée]m[\-\s]nascid[oa]s?|filh[oa]s?|net[oa]s?
      |entead[oa]s?|irm[ãa]o?s?|av[óô]s?|menor(?:es)?|menin[oa]s?|garot[oa]s?|alun[oa]s?
      |estudantes?|usu[áa]ri[oa]s?|pacientes?|acolhid[oa]s?|assistid[oa]s?|v[ií]timas?
      |agressor(?:a|es)?|idos[oa]s?|pu[ée]rperas?)
    (?!\w)
    (?P<gap>[ \t]*[:(,\-–]?[ \t]*(?:(?:de[ \t]+nome|chamad[oa]|conhecid[oa][ \t]+como)[ \t]+)?
      (?:(?:d[aoe]s?)[ \t]+)?)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")
# Initials standing for a name: "J.P.S.", "J. P. S.", "M.E" (two letters at least).
_INITIALS = re.compile(r"(?<!\w)[^\W\d_a-z](?:\.[ \t]?[^\W\d_a-z]){1,4}\.?(?![^\W\d_])")
_SPACES = re.compile(r"[ \t]+")

_NAME_DATE = re.compile(
    rf"""
    (?<![\d/])
    (?:
        (?P<day>\d{{1,2}})[ \t]?[/{_DASHES}][ \t]?(?P<month>\d{{1,2}})
        (?:[ \t]?[/{_DASHES}][ \t]?\d{{2,4}})?
      | (?P<dday>\d{{1,2}})\.(?P<dmonth>\d{{1,2}})\.\d{{2,4}}
      | \d{{4}}[{_DASHES}](?P<iso_month>\d{{2}})[{_DASHES}](?P<iso_day>\d{{2}})
      | (?P<day_n>\d{{1,2}})[º°o]?[ \t]+de[ \t]+(?P<month_name>[^\W\d_]{{3,10}})
    )
    (?![\d/])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_AGE = re.compile(
    r"(?<!\w)(?:(?:de|com)[ \t]+)?\d{1,2}(?:[ \t]?(?:anos?|meses|m[eê]s)|a)(?!\w)", re.IGNORECASE
)
_BIRTH_WORD = re.compile(r"(?<!\w)(?:nascid[oa]s?|nasceu|nasc\.|dn(?!\w))", re.IGNORECASE)
# What may stand between a name and the date, age or birth word after it.
_NAME_TO_NEXT = re.compile(rf"[ \t]*[,:(\[{_DASHES}]?[ \t]*$")

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


def is_valid_cns(number: str) -> bool:
    """Whether the 15 digits in ``number`` are a Cartão Nacional de Saúde (DATASUS: a
    definitive number begins with 1 or 2, a provisional one with 7, 8 or 9; the digits
    weighted 15 down to 1 add up to a multiple of 11)."""
    digits = [int(c) for c in number if c.isdecimal()]
    if len(digits) != 15 or digits[0] not in (1, 2, 7, 8, 9) or len(set(digits)) == 1:
        return False
    return sum(d * w for d, w in zip(digits, range(15, 0, -1), strict=True)) % 11 == 0


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


# --- numbers ----------------------------------------------------------------------------------


def _numbers(text: str) -> Iterator[Finding]:
    for match in _ELEVEN_DIGITS.finditer(text):
        number = match.group()
        if _one_digit(number):
            continue  # 000.000.000-00: a placeholder
        if is_valid_cpf(number) or _CPF_LAYOUT.fullmatch(number):
            yield Finding(Identifier.CPF, match.start(), match.end())
        elif is_valid_nis(number) or _NIS_LAYOUT.fullmatch(number):
            yield Finding(Identifier.NIS, match.start(), match.end())
    for match in _FIFTEEN_DIGITS.finditer(text):
        if is_valid_cns(match.group()):
            yield Finding(Identifier.CNS, match.start(), match.end())
    for match in _RG_LAYOUT.finditer(text):
        if not _one_digit(match.group()):
            yield Finding(Identifier.RG, match.start(), match.end())


def _one_digit(number: str) -> bool:
    return len({c for c in number if c.isdecimal()}) == 1


def _labelled_kind(match: re.Match[str]) -> Identifier:
    if match.group("cpf"):
        return Identifier.CPF
    if match.group("nis"):
        return Identifier.NIS
    if match.group("cns"):
        return Identifier.CNS
    return Identifier.RG


def _labelled_span(match: re.Match[str], kind: Identifier) -> tuple[int, int] | None:
    """The longest beginning of the number after a label that has as many digits as that
    label's numbers (so "CPF 123.456.789-09 12 crianças" stops before the 12)."""
    least, most = _LABELLED_DIGITS[kind]
    start = match.start("number")
    count, end = 0, None
    for position in range(start, match.end("number")):
        char = match.string[position]
        if char.isdecimal():
            count += 1
            if count > most:
                break
            if count >= least and not match.string[position + 1 : position + 2].isdecimal():
                end = position + 1
        elif char in "xX" and kind is Identifier.RG and count >= least:
            end = position + 1
    return None if end is None else (start, end)


def _labelled(text: str) -> Iterator[Finding]:
    """Numbers after the label that names them: reported whatever their check digits say."""
    pos = 0
    while match := _LABELLED.search(text, pos):
        pos = match.start() + 1
        words = [_fold(w) for w in _GAP_WORD.findall(match.group("gap"))]
        words = [w for w in words if w not in _NUMBER_WORDS]
        if len(words) > (0 if match.group("identity") else 4):
            continue  # "identidade visual 2026": the label is too far from the number
        if _OTHER_NUMBER_WORDS.intersection(words):
            continue
        kind = _labelled_kind(match)
        span = _labelled_span(match, kind)
        if span is not None and not _one_digit(text[span[0] : span[1]]):
            yield Finding(kind, *span)
            pos = span[1]


# --- phones -----------------------------------------------------------------------------------


def _near_person(text: str, start: int, end: int) -> bool:
    """Whether a person's word stands in the same line shortly before or after a span."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    before = text[max(line_start, start - 50) : start]
    after = text[end : min(len(text) if line_end < 0 else line_end, end + 30)]
    return bool(_PERSONAL_PHONE_WORDS.search(_fold(before + " " + after)))


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
    else:
        bare = not (match.group("cc") or match.group("pddd") or match.group("dsep") or separated)
        if bare and len(digits_a) != 5:
            return False  # bare digits only as DDD + 9-digit mobile
    if len(digits_a) == 4 and digits_a[0] in "2345":
        return _near_person(text, match.start(), match.end())  # a landline
    return True


def _phones(text: str) -> Iterator[Finding]:
    pos = 0
    while match := _PHONE.search(text, pos):
        if _is_phone(match, text):
            yield Finding(Identifier.PHONE, match.start(), match.end())
            pos = match.end()
        else:
            pos = match.start() + 1


# --- birth dates ------------------------------------------------------------------------------


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


def _birth_dates(text: str) -> Iterator[Finding]:
    pos = 0
    while match := _BIRTH_DATE.search(text, pos):
        if _is_birth_date(match, text):
            yield Finding(Identifier.BIRTH_DATE, match.start("date"), match.end("date"))
            pos = match.end()
        else:
            pos = match.start() + 1


# --- addresses --------------------------------------------------------------------------------


def _is_address(match: re.Match[str], text: str) -> bool:
    if match.group("number")[0].isdecimal() and _NOT_A_HOUSE_NUMBER.match(text, match.end()):
        return False
    words = [w for w in match.group("name").split() if _fold(w) not in _CONNECTORS]
    capitalised = any(w[:1].isupper() or w[:1].isdecimal() for w in words)
    if not words or (not capitalised and "," not in match.group("sep") and not match.group("no")):
        return False  # "situação de rua em 12 bairros"
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = _fold(text[max(line_start, match.start() - 100) : match.start()])
    found = list(_WHOSE.finditer(before))
    nearest = found[-1] if found else None
    if nearest is not None and nearest.group("person"):
        return True  # "a família mora na Rua das Flores, 123"
    if nearest is not None:
        return False  # "CRAS Centro, Rua das Flores, 123"
    return not _INSTITUTION_AFTER.match(_fold(text[match.end() : match.end() + 40]))


def _addresses(text: str) -> Iterator[Finding]:
    pos = 0
    while match := _ADDRESS.search(text, pos):
        if _is_address(match, text):
            yield Finding(Identifier.ADDRESS, match.start(), match.end())
            pos = match.end()
        else:
            pos = match.start() + 1


# --- names ------------------------------------------------------------------------------------


def _key(word: str) -> str:
    return _fold(word).rstrip(".").replace("’", "'")


def _is_initial(word: str) -> bool:
    return len(word) == 2 and word[0].isupper() and word[1] == "."


def _run_after(text: str, pos: int) -> list[tuple[int, int]]:
    """The capitalised words from ``pos`` on (connectors between them), as spans; the
    honorifics before them (Sr., Dona) are skipped. A word ending a sentence ends it."""
    run: list[tuple[int, int]] = []
    pending: list[tuple[int, int]] = []
    while match := _WORD.match(text, pos):
        word = match.group()
        key = _key(word)
        dotted = word.endswith(".") and not _is_initial(word)
        span = (match.start(), match.end() - 1 if dotted else match.end())
        if not run and key in _HONORIFICS and word[0].isupper():
            dotted = False
        elif key in _CONNECTORS and len(word) <= 3:
            if not run:
                break
            pending.append(span)
        elif word[0].isupper():
            run += [*pending, span]
            pending = []
        else:
            break
        space = _SPACES.match(text, match.end())
        if dotted or space is None:
            break
        pos = space.end()
    return run


def _run_before(text: str, end: int) -> list[tuple[int, int]]:
    """The capitalised words that end right at ``end`` (connectors between them); a word
    that ends a sentence ("CRAS.") is not part of it."""
    spans = [m.span() for m in _WORD.finditer(text, max(0, end - 80), end)]
    run: list[tuple[int, int]] = []
    expected_end = end
    for start, stop in reversed(spans):
        word = text[start:stop]
        if stop != expected_end:
            break
        if run and word.endswith(".") and not _is_initial(word) and _key(word) not in _HONORIFICS:
            break
        if not (word[0].isupper() or (run and _key(word) in _CONNECTORS)):
            break
        run.insert(0, (start, stop))
        gap = start - len(text[:start].rstrip(" \t"))
        if gap == 0:
            break
        expected_end = start - gap
    while run and _key(text[slice(*run[0])]) in _CONNECTORS:
        run.pop(0)
    return run


def _person_part(text: str, run: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``run`` up to the first word of a service's name, without connectors at its end."""
    for index, (a, b) in enumerate(run):
        if _key(text[a:b]) in _SERVICE_WORDS:
            run = run[:index]
            break
    while run and _key(text[slice(*run[-1])]) in _CONNECTORS:
        run = run[:-1]
    return run


def _name_words(text: str, run: list[tuple[int, int]]) -> list[str]:
    return [_key(text[a:b]) for a, b in run if _key(text[a:b]) not in _CONNECTORS]


def _lower_run_after(text: str, pos: int) -> list[tuple[int, int]]:
    """Names typed without capitals ("o menino joão pedro da silva"): words from ``pos``
    that are all known names (connectors between them), the first a known first name."""
    run: list[tuple[int, int]] = []
    pending: list[tuple[int, int]] = []
    while match := _WORD.match(text, pos):
        key = _key(match.group())
        if not run and key not in _FIRST_NAMES:
            break
        if run and key in _CONNECTORS:
            pending.append(match.span())
        elif key in _ANY_NAME:
            run += [*pending, match.span()]
            pending = []
        else:
            break
        space = _SPACES.match(text, match.end())
        if match.group().endswith(".") or space is None:
            break
        pos = space.end()
    return run


def _named_after_trigger(text: str) -> Iterator[Finding]:
    """ "a criança Pedro Henrique Souza", "mãe: Maria", "família Silva", "a adolescente
    Ketlyn", "criança J.P.S.", "o menino joão pedro"."""
    for match in _PERSON_TRIGGER.finditer(text):
        initials = _INITIALS.match(text, match.end())
        if initials is not None:
            yield Finding(Identifier.NAME, initials.start(), initials.end())
            continue
        run = _person_part(text, _run_after(text, match.end()))
        words = _name_words(text, run)
        if not words:
            lower = _lower_run_after(text, match.end())
            if len(lower) > 1 or (lower and _key(text[slice(*lower[0])]) not in _ALSO_WORDS):
                yield Finding(Identifier.NAME, lower[0][0], lower[-1][1])
            continue
        known = _SURNAMES | _FIRST_NAMES if match.group("family") else _FIRST_NAMES
        if len(words) == 1 and ("," in match.group("gap") or words[0] not in known):
            if _unknown_name_in_sentence(text, match, run):
                yield Finding(Identifier.NAME, run[0][0], run[-1][1])
            continue  # "Criança Feliz", "Família Acolhedora"; "a família, Pedro do CREAS"
        if len(words) > 1 and not any(word in _ANY_NAME for word in words):
            continue  # "adolescente Em Situação de Risco"
        yield Finding(Identifier.NAME, run[0][0], run[-1][1])


def _unknown_name_in_sentence(text: str, match: re.Match[str], run: list[tuple[int, int]]) -> bool:
    """ "a adolescente Ketlyn foi acolhida": a capitalised word right after a lowercase
    word for a person, in the middle of a sentence, is a name even if not a known one;
    not a program's title ("Criança Feliz": the word for a person capitalised too), an
    acronym or code ("adolescente CASO-2025-014", "gestante UBS") or after a comma."""
    trigger = match.group("trigger")
    word = text[slice(*run[0])]
    return (
        trigger[0].islower()
        and match.group("gap").strip() == ""
        and not match.group("family")
        and not word.isupper()
        and _key(word) not in _SERVICE_WORDS
        and _key(word) not in _COMMON_WORDS
        and len(_key(word)) >= 3
    )


def _named_before(text: str, pattern: re.Pattern[str]) -> Iterator[Finding]:
    """A name that begins with a known first name right before a date, an age or a birth
    word: "Maria 12/03/2015 consulta", "Pedro Lucas (14 anos)", "Enzo nascido em..."."""
    for match in pattern.finditer(text):
        if pattern is _NAME_DATE and not _is_name_date(match):
            continue
        gap = _NAME_TO_NEXT.search(text, max(0, match.start() - 4), match.start())
        end = gap.start() if gap is not None else match.start()
        run = _run_before(text, end)
        if any(_key(text[a:b]) in _SERVICE_WORDS for a, b in run):
            continue  # "CMEI Maria Ortiz 12/03": a service named after someone
        while run and _key(text[slice(*run[0])]) in _HONORIFICS:
            run.pop(0)
        if run and _key(text[slice(*run[0])]) in _FIRST_NAMES:
            yield Finding(Identifier.NAME, run[0][0], run[-1][1])


def _is_name_date(match: re.Match[str]) -> bool:
    if match.group("month_name") is not None:
        return _fold(match.group("month_name")) in _MONTHS
    day, month = next(
        (int(match[d]), int(match[m]))
        for d, m in (("day", "month"), ("dday", "dmonth"), ("iso_day", "iso_month"))
        if match.group(d) is not None
    )
    return 1 <= day <= 31 and 1 <= month <= 12


def _names(text: str) -> Iterator[Finding]:
    yield from _named_after_trigger(text)
    for pattern in (_NAME_DATE, _AGE, _BIRTH_WORD):
        yield from _named_before(text, pattern)


# --- the screen -------------------------------------------------------------------------------


def find_identifiers(text: str, *, extra_domains: Iterable[str] = ()) -> list[Finding]:
    """The personal identifiers in ``text``, in order, without overlaps."""
    extra = tuple(extra_domains)
    labelled: list[Finding] = []
    candidates: list[Finding] = []
    masked_spans: list[tuple[int, int]] = []
    for match in _EMAIL.finditer(text):
        masked_spans.append(match.span())
        if not is_institutional_email(match.group(), extra):
            candidates.append(Finding(Identifier.EMAIL, match.start(), match.end()))
    masked_spans.extend(match.span() for match in _NOT_IDENTIFIERS.finditer(text))
    masked = _mask(text, masked_spans)
    labelled.extend(_labelled(masked))
    candidates.extend(_numbers(masked))
    candidates.extend(_birth_dates(masked))
    candidates.extend(_phones(masked))
    candidates.extend(_addresses(masked))
    candidates.extend(_names(masked))

    candidates.sort(key=lambda f: (_PRIORITY.index(f.kind), f.start - f.end, f.start))
    kept: list[Finding] = []
    for finding in [*labelled, *candidates]:
        if all(finding.end <= other.start or other.end <= finding.start for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


@dataclass(frozen=True)
class _KindList:
    """The kinds found, rendered in the locale current when the message is rendered."""

    kinds: tuple[Identifier, ...]

    def __str__(self) -> str:
        names = [gettext(_KIND_NAMES[kind]) for kind in self.kinds]
        return str(format_list(names, locale=current_locale()))


_REFUSAL = N_(
    "I did not store this text: it contains {kinds}. Personal data of the people "
    "the network serves cannot go to the group or to the database. Refer to the "
    "case by its code (e.g. CASO-2025-014) and send it again without that data."
)
_REFUSAL_ADDRESS = N_(
    "I did not store this text: it contains {kinds}. Personal data of the people "
    "the network serves cannot go to the group or to the database. Refer to the "
    "case by its code (e.g. CASO-2025-014) and send it again without that data. "
    "A service's address is fine with the service's name before it "
    "(CRAS Centro, Rua das Flores, 123)."
)


class PersonalDataError(UserError):
    """Free text was refused because it holds personal identifiers (named by kind only)."""

    def __init__(self, kinds: tuple[Identifier, ...]) -> None:
        super().__init__(
            _REFUSAL_ADDRESS if Identifier.ADDRESS in kinds else _REFUSAL,
            example=SCREEN_EXAMPLE,
            kinds=_KindList(kinds),
        )
        self.kinds = kinds


def screen(text: str, *, extra_domains: Iterable[str] = ()) -> None:
    """Refuse ``text`` (raise :class:`PersonalDataError`, a ``UserError``) when it holds
    personal identifiers; the message names their kinds, never their values."""
    findings = find_identifiers(text, extra_domains=extra_domains)
    if findings:
        kinds = tuple(dict.fromkeys(finding.kind for finding in findings))
        raise PersonalDataError(kinds)


# The columns keeping a sent file's name (flow versions, atas) are String(255).
MAX_FILE_NAME = 255
_FILE_NAME_SEPARATORS = re.compile(r"[_+.]+")


def screen_file_name(name: str) -> None:
    """Refuse a sent file's name (raise :class:`PersonalDataError`) when its stem holds
    personal identifiers, read as typed and with "_", "+" and "." as spaces
    ("PIA_criança_João_Pedro.pdf" is "PIA criança João Pedro")."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    screen(stem)
    screen(_FILE_NAME_SEPARATORS.sub(" ", stem))


def redact(text: str, *, extra_domains: Iterable[str] = ()) -> str:
    """``text`` with each identifier replaced by a marker such as "[CPF removido]"."""
    parts: list[str] = []
    last = 0
    for finding in find_identifiers(text, extra_domains=extra_domains):
        parts.append(text[last : finding.start])
        parts.append(gettext(_REDACTION_MARKERS[finding.kind]))
        last = finding.end
    parts.append(text[last:])
    return "".join(parts)
