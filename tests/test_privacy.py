"""Free text is screened for personal identifiers before the bot stores or repeats it."""

from __future__ import annotations

import dataclasses

import pytest

from bot.errors import UserError
from bot.i18n import use_locale
from bot.rules.privacy import (
    Finding,
    Identifier,
    PersonalDataError,
    find_identifiers,
    is_institutional_email,
    is_valid_cns,
    redact,
    screen,
)
from tests.privacy_corpus import CORPUS, Example

# --- check digits computed here, independently of the module ------------------------------


def cpf_with_check_digits(base: str) -> str:
    """The 11-digit CPF for a 9-digit base (Receita Federal mod-11 rule)."""
    digits = [int(c) for c in base]
    for length in (9, 10):
        weights = range(length + 1, 1, -1)
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if remainder < 2 else 11 - remainder)
    return "".join(map(str, digits))


def nis_with_check_digit(base: str) -> str:
    """The 11-digit NIS/PIS for a 10-digit base (Caixa mod-11 rule)."""
    weights = (3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
    remainder = sum(int(c) * w for c, w in zip(base, weights, strict=True)) % 11
    check = 11 - remainder
    return base + str(0 if check in (10, 11) else check)


def is_cpf(number: str) -> bool:
    return len(set(number)) > 1 and cpf_with_check_digits(number[:9]) == number


def is_nis(number: str) -> bool:
    return len(set(number)) > 1 and nis_with_check_digit(number[:10]) == number


def cpf_format(number: str) -> str:
    return f"{number[:3]}.{number[3:6]}.{number[6:9]}-{number[9:]}"


def nis_format(number: str) -> str:
    return f"{number[:3]}.{number[3:8]}.{number[8:10]}-{number[10]}"


def kinds(text: str, extra_domains: tuple[str, ...] | list[str] = ()) -> list[Identifier]:
    return [finding.kind for finding in find_identifiers(text, extra_domains=extra_domains)]


def spans(text: str) -> list[tuple[Identifier, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_identifiers(text)]


def spans_with(text: str, *, extra_domains: list[str]) -> list[str]:
    return [text[f.start : f.end] for f in find_identifiers(text, extra_domains=extra_domains)]


CPF_BASES = ("529982247", "123456789", "390533447", "071828430")
CPFS = [cpf for cpf in map(cpf_with_check_digits, CPF_BASES) if not is_nis(cpf)]
NISES = [nis_with_check_digit(base) for base in ("1234567890", "1700012345", "2091234567")]
NISES = [nis for nis in NISES if not is_cpf(nis)]


def test_the_generated_identifiers_are_what_the_tests_assume() -> None:
    assert cpf_with_check_digits("529982247") == "52998224725"  # the well-known example
    assert len(CPFS) >= 3
    assert len(NISES) >= 2


# --- CPF --------------------------------------------------------------------------------


@pytest.mark.parametrize("cpf", CPFS)
@pytest.mark.parametrize("layout", ["formatted", "bare", "spaced", "in a sentence"])
def test_a_cpf_with_right_check_digits_is_found(cpf: str, layout: str) -> None:
    text = {
        "formatted": cpf_format(cpf),
        "bare": cpf,
        "spaced": f"{cpf[:3]} {cpf[3:6]} {cpf[6:9]} {cpf[9:]}",
        "in a sentence": f"Responsável (CPF {cpf_format(cpf)}) compareceu ao CRAS.",
    }[layout]
    found = find_identifiers(text)
    assert [f.kind for f in found] == [Identifier.CPF]
    assert text[found[0].start : found[0].end].replace(" ", "") in (cpf, cpf_format(cpf))


@pytest.mark.parametrize("cpf", CPFS)
def test_a_bare_number_with_a_wrong_check_digit_is_not_a_cpf(cpf: str) -> None:
    wrong = next(
        number
        for number in (cpf[:10] + str((int(cpf[10]) + k) % 10) for k in range(1, 10))
        if not is_nis(number)
    )
    assert not is_cpf(wrong)
    assert kinds(wrong) == []
    assert kinds(f"protocolo {wrong[:3]} {wrong[3:6]} {wrong[6:9]} {wrong[9:]}") == []


@pytest.mark.parametrize("cpf", CPFS)
def test_a_cpf_with_a_typo_is_still_a_cpf_in_its_layout_or_after_its_label(cpf: str) -> None:
    wrong = cpf[:10] + str((int(cpf[10]) + 1) % 10)
    assert not is_cpf(wrong)
    assert kinds(cpf_format(wrong)) == [Identifier.CPF]
    assert kinds(f"CPF {wrong}") == [Identifier.CPF]
    assert kinds(f"cpf da mãe: {wrong[:9]}") == [Identifier.CPF]  # the check digits left out


@pytest.mark.parametrize("digit", "0123456789")
def test_a_number_of_one_repeated_digit_is_not_an_identifier(digit: str) -> None:
    assert kinds(cpf_format(digit * 11)) == []
    assert kinds(nis_format(digit * 11)) == []
    assert kinds(digit * 11) == []
    assert kinds(f"({digit}{digit}) {digit * 5}-{digit * 4}") == []


def test_a_cpf_inside_a_longer_number_is_not_a_cpf() -> None:
    assert kinds("código de barras 9" + CPFS[0] + "7") == []


# --- NIS/PIS ------------------------------------------------------------------------------


@pytest.mark.parametrize("nis", NISES)
@pytest.mark.parametrize("formatted", [True, False], ids=["formatted", "bare"])
def test_a_nis_with_a_right_check_digit_is_found(nis: str, formatted: bool) -> None:
    text = f"NIS da responsável: {nis_format(nis) if formatted else nis}."
    assert kinds(text) == [Identifier.NIS]


def test_a_number_valid_as_cpf_and_as_nis_is_reported_as_a_cpf() -> None:
    both = "69655266370"
    assert is_cpf(both) and is_nis(both)
    assert kinds(both) == [Identifier.CPF]
    assert kinds(cpf_format(both)) == [Identifier.CPF]


def test_a_nis_with_a_wrong_check_digit_is_found_in_its_layout_or_after_its_label() -> None:
    nis = NISES[0]
    wrong = next(
        number
        for number in (nis[:10] + str((int(nis[10]) + k) % 10) for k in range(1, 10))
        if not is_cpf(number)
    )
    assert not is_nis(wrong)
    assert kinds(wrong) == []
    assert kinds(nis_format(wrong)) == [Identifier.NIS]
    assert kinds(f"PIS {wrong}") == [Identifier.NIS]
    assert kinds("NIS 120.12345.67-8") == [Identifier.NIS]  # issue 13's probe


# --- phones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "(41) 99999-8888",
        "(41)99999-8888",
        "(041) 3333-4444",
        "41 99999-8888",
        "41 9 9999-8888",
        "41-99999-8888",
        "41999998888",
        "+55 41 99999-8888",
        "+55 (41) 99999-8888",
        "+5541999998888",
        "9999-8888",
        "99999-8888",
        "9 9999-8888",
        "3333-4444",
        "3333 4444",
        "99999 8888",
        "3333.4444",
        "99999–8888",  # en dash from a phone keyboard
    ],
)
def test_a_phone_number_is_found_in_every_usual_form(phone: str) -> None:
    text = f"Contato da mãe: {phone}, à tarde."
    assert spans(text) == [(Identifier.PHONE, phone)]


def test_a_list_of_phones_has_every_one_found() -> None:
    text = "tel. da mãe (41) 3333-4444/99999-8888"
    assert spans(text) == [
        (Identifier.PHONE, "(41) 3333-4444"),
        (Identifier.PHONE, "99999-8888"),
    ]


def test_a_bare_eleven_digit_mobile_is_a_phone_unless_it_is_a_cpf() -> None:
    assert not is_cpf("41999998888") and not is_nis("41999998888")
    assert kinds("41999998888") == [Identifier.PHONE]
    assert kinds(CPFS[0]) == [Identifier.CPF]


@pytest.mark.parametrize(
    "text",
    [
        "Reunião em 14/03/2026 às 14h30.",
        "reunião 14/03 às 14h no CRAS, sala 2",
        "das 08:00-12:00 e 13:30-17:30",
        "Encontro 2026-03-14, 14h",
        "CASO-2025-014: avaliação de saúde mental e retorno à Rede",
        "E-2025-031 e E-2025-0314 foram encaminhados",
        "ano de 2025; em 2026 serão 12 reuniões",
        "planejamento 2025-2026",
        "período 2019 2024",
        "CEP 80000-000",
        "CEP 80.000-000",
        "Autos nº 0001234-56.2025.8.16.0001, Vara da Infância",
        "R$ 1.234,56 de benefício eventual",
        "R$ 1.500,00 por mês",
        "aluguel entre R$ 2500-3000",
        "aumento de 12,5% nos atendimentos",
        "ECA, Lei 8.069/1990, art. 98",
        "Lei 13.431/2017 e Resolução 113/2006",
        "ofício nº 2345-6789",
        "Processo SEI 23000.012345/2025-11",
        "1234-5678 protocolos",
        "12345678",
        "123456789",
        "4133334444",
        "versão 2.0.1, 100 famílias, 35 crianças",
    ],
)
def test_dates_times_codes_cep_processes_money_and_years_are_not_phones(text: str) -> None:
    assert find_identifiers(text) == []


def test_a_phone_after_a_number_that_is_not_a_ddd_is_still_found() -> None:
    assert spans("sala 10 99999-8888") == [(Identifier.PHONE, "99999-8888")]


@pytest.mark.parametrize(
    "text",
    [
        "CEP 29.057-530. Telefone: (27) 3636-6850",  # seed 001's letterhead
        "Telefone do CREAS: (27) 3381-4455",
        "CRAS Norte 3333-4444, ramal 12",
        "(41) 3333-4444",
    ],
)
def test_a_landline_alone_is_an_office_s_number(text: str) -> None:
    assert find_identifiers(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "telefone da mãe (27) 3636-6850",
        "contato da família: 3333-4444",
        "(27) 3636-6850, recado com a vizinha",
        "tel. residencial 3322-1100",
    ],
)
def test_a_landline_next_to_a_person_s_word_is_theirs(text: str) -> None:
    assert kinds(text) == [Identifier.PHONE]


def test_a_mobile_is_a_phone_even_alone() -> None:
    assert kinds("(27) 99988-7766") == [Identifier.PHONE]
    assert kinds("Telefone do CREAS: (27) 99988-7766") == [Identifier.PHONE]


# --- e-mails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "maria.silva@gmail.com",
        "joao_2010@hotmail.com",
        "Fulano@Outlook.com",
        "mae.do.pedro@yahoo.com.br",
        "alguem@uol.com.br",
        "beltrano@bol.com.br",
        "x@icloud.com",
        "pessoa@empresa.com.br",
        "voluntario@ong.org.br",
    ],
)
def test_a_personal_e_mail_is_found(address: str) -> None:
    text = f"Enviar para {address}."
    assert spans(text) == [(Identifier.EMAIL, address)]


@pytest.mark.parametrize(
    "address",
    [
        "cras@palmital.pr.gov.br",
        "creas.centro@curitiba.pr.gov.br",
        "gabinete@camara.leg.br",
        "vara.infancia@tjpr.jus.br",
        "promotoria@mppr.mp.br",
        "nudeca@defensoria.def.br",
        "contato@gov.br",
    ],
)
def test_an_institutional_e_mail_is_not_flagged(address: str) -> None:
    assert is_institutional_email(address)
    assert find_identifiers(f"Enviar para {address}.") == []


def test_a_network_can_whitelist_its_own_domain_and_its_subdomains() -> None:
    text = "CRAS: cras@prefeitura.com.br; CREAS: creas@saude.prefeitura.com.br"
    assert kinds(text) == [Identifier.EMAIL, Identifier.EMAIL]
    assert kinds(text, extra_domains=["prefeitura.com.br"]) == []
    assert kinds(text, extra_domains=["@Prefeitura.com.br"]) == []


def test_a_network_can_whitelist_one_address_at_a_generic_provider_but_not_the_provider() -> None:
    text = "cras.norte@gmail.com e maria@gmail.com"
    assert kinds(text, extra_domains=["gmail.com"]) == [Identifier.EMAIL, Identifier.EMAIL]
    assert spans_with(text, extra_domains=["cras.norte@gmail.com"]) == ["maria@gmail.com"]


@pytest.mark.parametrize(
    ("address", "institutional"),
    [
        ("cras@palmital.pr.gov.br", True),
        ("CRAS@PALMITAL.PR.GOV.BR", True),
        ("fulano@gov.br.gmail.com", False),
        ("fulano@notgov.br", False),
        ("fulano@gmail.com", False),
        ("not an address", False),
        ("@gov.br", False),
    ],
)
def test_is_institutional_email_looks_at_the_end_of_the_domain(
    address: str, institutional: bool
) -> None:
    assert is_institutional_email(address) is institutional


def test_digits_inside_an_e_mail_are_not_reported_twice() -> None:
    text = "escrever para 41999998888@gmail.com"
    assert kinds(text) == [Identifier.EMAIL]
    assert find_identifiers("protocolo 41999998888@palmital.pr.gov.br") == []


# --- dates of birth -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Criança nascida em 12/03/2015, acompanhada pelo CRAS.", "12/03/2015"),
        ("nascido em 12/03/2015", "12/03/2015"),
        ("nascido(a) em 12/03/2015", "12/03/2015"),
        ("nasc. 12/03/2015", "12/03/2015"),
        ("DN: 12/03/2015", "12/03/2015"),
        ("D.N. 12/03/2015", "12/03/2015"),
        ("d.n. 12.03.15", "12.03.15"),
        ("data de nascimento 12/03/2015", "12/03/2015"),
        ("Data de nascimento: 12-03-2015", "12-03-2015"),
        ("dt. nasc. 2015-03-12", "2015-03-12"),
        ("nascida em 3 de março de 2015", "3 de março de 2015"),
        ("nasceu no dia 1º de maio", "1º de maio"),
        ("nacido el 3 de marzo de 2015", "3 de marzo de 2015"),
        ("fecha de nacimiento: 03/03/2015", "03/03/2015"),
        ("nasc: 12 mar 2015", "12 mar 2015"),
        ("data de nascimento da criança: 12/03/2015", "12/03/2015"),
        ("o DN do adolescente é 12/03/2015", "12/03/2015"),
        ("nascimento de Maria Silva em 12/03/2015", "12/03/2015"),
    ],
)
def test_a_date_next_to_a_birth_word_is_a_date_of_birth(text: str, date: str) -> None:
    assert spans(text) == [(Identifier.BIRTH_DATE, date)]


@pytest.mark.parametrize(
    "text",
    [
        "Reunião ordinária em 12/03/2026.",
        "Devolutiva até 3 de março de 2026.",
        "A família deve entregar a certidão de nascimento em 14/03/2026.",
        "certidão de nascimento até 14/03",
        "licença após o nascimento do bebê, volta em 14/03",
        "nascido em 12 anos de acompanhamento",
        "Conferência Nacional 12/03/2026",
        "nascimento 45/13/2015",
    ],
)
def test_a_date_without_a_birth_word_is_not_a_date_of_birth(text: str) -> None:
    assert find_identifiers(text) == []


# --- screen() -----------------------------------------------------------------------------


def test_clean_text_passes_the_screen() -> None:
    screen("CASO-2025-014: avaliação de saúde mental e retorno à Rede em 14/03.")


def test_the_refusal_names_the_kinds_in_pt_br_and_never_the_identifiers() -> None:
    cpf = cpf_format(CPFS[0])
    text = f"CASO-2025-014, mãe CPF {cpf}, tel (41) 99999-8888, outro tel 3333-4444."
    with use_locale("pt_BR"), pytest.raises(UserError) as caught:
        screen(text)
    message = caught.value.render()
    assert message.startswith("Não guardei esse texto: ele tem um CPF e um telefone. ")
    assert "Use o código do caso (por exemplo, CASO-2025-014)" in message
    assert message.endswith("Exemplo: CASO-2025-014: avaliação de saúde mental e retorno à Rede")
    leaked = (cpf, CPFS[0], "99999", "8888", "3333", "4444")
    for trace in (message, str(caught.value), repr(caught.value.args), repr(caught.value.params)):
        assert not any(piece in trace for piece in leaked)


def test_the_refusal_lists_every_kind_once_in_the_order_they_appear() -> None:
    text = (
        f"tel 99999-8888; nascido em 12/03/2015; e-mail mae@gmail.com; "
        f"NIS {NISES[0]}; CPF {CPFS[0]}; outro tel 3333-4444"
    )
    with pytest.raises(PersonalDataError) as caught:
        screen(text)
    assert caught.value.kinds == (
        Identifier.PHONE,
        Identifier.BIRTH_DATE,
        Identifier.EMAIL,
        Identifier.NIS,
        Identifier.CPF,
    )
    with use_locale("pt_BR"):
        assert (
            "ele tem um telefone, uma data de nascimento, um e-mail pessoal, um NIS/PIS e um CPF."
        ) in caught.value.render()


def test_the_refusal_is_rendered_in_the_locale_current_when_it_is_shown() -> None:
    with pytest.raises(UserError) as caught:
        screen("contato: fulana@hotmail.com")
    with use_locale("es"):
        assert caught.value.render().startswith(
            "No guardé este texto: contiene un correo electrónico personal. "
        )
    with use_locale("en"):
        assert "it contains a personal e-mail address." in caught.value.render()


def test_the_screen_honours_the_network_whitelist() -> None:
    screen("escrever para cras@prefeitura.com.br", extra_domains=["prefeitura.com.br"])
    with pytest.raises(UserError):
        screen("escrever para cras@prefeitura.com.br")


# --- redact() and findings ----------------------------------------------------------------


def test_redact_replaces_each_identifier_with_a_translated_marker() -> None:
    text = (
        f"CASO-2025-014: mãe (CPF {cpf_format(CPFS[0])}, NIS {nis_format(NISES[0])}), "
        "tel 41 99999-8888, mae@gmail.com, filho nascido em 12/03/2015; reunião 14/03 às 14h."
    )
    with use_locale("pt_BR"):
        assert redact(text) == (
            "CASO-2025-014: mãe (CPF [CPF removido], NIS [NIS/PIS removido]), "
            "tel [telefone removido], [e-mail removido], filho nascido em "
            "[data de nascimento removida]; reunião 14/03 às 14h."
        )
    with use_locale("en"):
        assert redact("tel 99999-8888") == "tel [phone removed]"


def test_redact_leaves_clean_text_alone() -> None:
    text = "Devolutiva do CASO-2025-014 na reunião de 14/03, sala 2."
    assert redact(text) == text


def test_a_finding_keeps_only_the_kind_and_the_offsets() -> None:
    assert [field.name for field in dataclasses.fields(Finding)] == ["kind", "start", "end"]
    (finding,) = find_identifiers("CPF 529.982.247-25")
    assert finding == Finding(Identifier.CPF, 4, 18)
    assert "529" not in repr(finding)


# --- CNS, RG, addresses and names (issue 13) ------------------------------------------------


def cns_with_check(first11: str) -> str:
    """A definitive CNS from its first 11 digits (DATASUS's rule)."""
    total = sum(int(c) * w for c, w in zip(first11, range(15, 4, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        total += 2
        return f"{first11}001{11 - total % 11}"
    return f"{first11}000{check}"


@pytest.mark.parametrize("first11", ["20987654321", "16543219870", "29081726354"])
def test_a_cns_with_its_check_is_found_bare_or_spaced(first11: str) -> None:
    cns = cns_with_check(first11)
    assert is_valid_cns(cns)
    assert kinds(cns) == [Identifier.CNS]
    assert kinds(f"{cns[:3]} {cns[3:7]} {cns[7:11]} {cns[11:]}") == [Identifier.CNS]
    wrong = cns[:14] + str((int(cns[14]) + 1) % 10)
    assert not is_valid_cns(wrong)
    assert kinds(wrong) == []
    assert kinds(f"cartão do SUS {wrong}") == [Identifier.CNS]


def test_a_fifteen_digit_number_that_is_no_cns_is_not_reported() -> None:
    assert kinds("código 305152025101600") == []  # starts with 3: no CNS does
    assert kinds("pelo código 05152025101600041") == []  # seed 003: 17 digits


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("RG 12.345.678", "12.345.678"),
        ("R.G.: 1.234.567", "1.234.567"),
        ("RG da mãe 4567890", "4567890"),
        ("identidade nº 3.456.789 ES", "3.456.789"),
        ("carteira de identidade 22.333.444-X", "22.333.444-X"),
        ("documento 12.345.678-9", "12.345.678-9"),
        ("MG-12.345.678", "MG-12.345.678"),
    ],
)
def test_an_rg_is_found_after_its_label_or_in_its_layout(text: str, number: str) -> None:
    assert spans(text) == [(Identifier.RG, number)]


@pytest.mark.parametrize(
    "text",
    ["identidade visual 2026-2027", "RG e CPF em mãos", "RG da criança em 14/03/2026"],
)
def test_an_rg_label_without_its_number_is_not_an_rg(text: str) -> None:
    assert find_identifiers(text) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Rua das Flores, 123", "Rua das Flores, 123"),
        ("mora na rua das flores, 123", "rua das flores, 123"),
        ("Av. Vitória, 1500, apto 302", "Av. Vitória, 1500"),
        ("residente na Rua 7 de Setembro, 230", "Rua 7 de Setembro, 230"),
        ("Travessa São Pedro 45", "Travessa São Pedro 45"),
        ("Rua Projetada B, s/n", "Rua Projetada B, s/n"),
        ("a família mora na Rua das Flores, 123, perto do CRAS", "Rua das Flores, 123"),
        ("o CRAS visitou a família na Rua XV de Novembro, 88", "Rua XV de Novembro, 88"),
    ],
)
def test_an_address_is_a_street_a_name_and_a_number(text: str, address: str) -> None:
    assert spans(text) == [(Identifier.ADDRESS, address)]


@pytest.mark.parametrize(
    "text",
    [
        "CRAS Centro, Rua das Flores, 123",
        "Secretaria Municipal de Saúde, Rua Henrique Novaes, 341, Centro",
        "Rua Doutor João Carlos de Souza, nº 107, sala 1301, Ed. Green Tower",  # seed 001
        "Sala da Secretaria de Saúde",
        "população em situação de rua em 12 bairros",
        "na rua da escola, 2 crianças",
        "Praça da Matriz às 14h",
    ],
)
def test_a_service_s_address_and_street_words_without_an_address_pass(text: str) -> None:
    assert find_identifiers(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("a criança Pedro Henrique Souza", "Pedro Henrique Souza"),
        ("a criança PEDRO HENRIQUE SOUZA faltou", "PEDRO HENRIQUE SOUZA"),
        ("gestante: Jaqueline Nunes", "Jaqueline Nunes"),
        ("a mãe da Ana ligou", "Ana"),
        ("família Silva", "Silva"),
        ("família do Sr. Antônio Carlos", "Antônio Carlos"),
        ("os irmãos Pedro e Ana", "Pedro e Ana"),
        ("Maria 12/03/2015 consulta", "Maria"),
        ("Pedro, 7 anos", "Pedro"),
        ("Pedro Lucas (14 anos)", "Pedro Lucas"),
        ("a menina Sofia (5a)", "Sofia"),
        ("Enzo Gabriel nascido em março", "Enzo Gabriel"),
        # Typed without capitals, a rare name, initials.
        ("avaliar o menino joão pedro da silva", "joão pedro da silva"),
        ("criança maria eduarda em risco", "maria"),
        ("a adolescente Ketlyn foi acolhida", "Ketlyn"),
        ("criança J.P.S., 8 anos", "J.P.S."),
        ("o adolescente M. E. S. faltou", "M. E. S."),
    ],
)
def test_a_name_after_a_word_for_a_person_served_or_before_a_date_or_an_age(
    text: str, name: str
) -> None:
    assert spans(text) == [(Identifier.NAME, name)]


@pytest.mark.parametrize(
    "text",
    [
        "Programa Criança Feliz",
        "Serviço de Família Acolhedora",
        "Pastoral da Criança",
        "Estatuto da Criança e do Adolescente",
        "a adolescente Em Situação de Risco",  # a title in capitals: no known name
        "a família, Pedro do CREAS fará a visita",
        "Presentes: Helena Souza (Saúde), Carla Mendes (CRAS)",  # the members, in an ata
        "Maria (CRAS) enviará até 14/03",
        "CMEI Maria Ortiz 12/03",
        "CRAS Santa Maria 12/03/2026",
        "reunião em Vitória 12/03",
        "Conferência Nacional 12/03/2026",
        "o adolescente CASO-2025-014 foi acolhido",  # a code, an acronym
        "a gestante UBS Centro",
        "a criança Está bem",  # a word a phone capitalised
        "a mãe clara e objetiva",  # a name that is also a word, alone
        "a mãe rosa dos ventos",
        "as crianças E e F",
    ],
)
def test_capitals_alone_services_and_places_are_not_names(text: str) -> None:
    assert find_identifiers(text) == []


def test_the_refusal_names_the_new_kinds_in_pt_br_and_helps_with_a_service_s_address() -> None:
    text = (
        "a criança Pedro Henrique Souza, RG 12.345.678, cartão SUS 209876543210000, "
        "mora na Rua das Flores, 123"
    )
    with use_locale("pt_BR"), pytest.raises(PersonalDataError) as caught:
        screen(text)
    message = caught.value.render()
    assert caught.value.kinds == (
        Identifier.NAME,
        Identifier.RG,
        Identifier.CNS,
        Identifier.ADDRESS,
    )
    assert "um nome de pessoa, um RG, um Cartão SUS (CNS) e um endereço." in message
    assert "CRAS Centro, Rua das Flores, 123" in message
    for value in ("Pedro", "Souza", "12.345.678", "209876543210000", "Flores"):
        assert value not in message.replace("Rua das Flores, 123)", "")


def test_redact_replaces_the_new_kinds_too() -> None:
    with use_locale("pt_BR"):
        assert redact("a criança Pedro Souza, RG 12.345.678, Rua das Flores, 123") == (
            "a criança [nome removido], RG [RG removido], [endereço removido]"
        )


# --- the corpus -----------------------------------------------------------------------------


@pytest.mark.parametrize("example", CORPUS, ids=[e.text[:40] for e in CORPUS])
def test_the_corpus_is_screened_as_a_data_protection_officer_would(example: Example) -> None:
    assert {finding.kind.value for finding in find_identifiers(example.text)} == example.kinds


def test_the_corpus_holds_every_kind_and_the_institutional_look_alikes() -> None:
    found = {kind for example in CORPUS for kind in example.kinds}
    assert found == {kind.value for kind in Identifier}
    clean = [example.text for example in CORPUS if not example.kinds]
    for look_alike in ("CASO-2026-014", "SEI", "Ofício", "CEP", "Lei", "gov.br", "E-2026"):
        assert any(look_alike in text for text in clean), look_alike
