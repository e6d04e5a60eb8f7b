"""The presence list of a meeting as a PDF to print and sign and as a CSV."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from bot.documents import (
    Attendee,
    PresenceList,
    presence_csv,
    presence_filename,
    presence_pdf,
)
from bot.i18n import use_locale

SECTORS = [
    "CRAS Centro",
    "CREAS",
    "Conselho Tutelar",
    "Saúde",
    "Educação",
    "Assistência Jurídica",
    "Segurança Alimentar",
    "Habitação",
]
PRESENT_SECTORS = SECTORS[:5]
ABSENT_SECTORS = SECTORS[5:]

# 12 representatives of 8 sectors: the first five sectors came.
ATTENDEES = [
    Attendee("Ana Conceição", "CRAS Centro", True, "yes"),
    Attendee("Bruno Araújo", "Conselho Tutelar", True, "yes"),
    Attendee("Cláudia Simões", "CREAS", True, "maybe"),
    Attendee("Débora Gonçalves", "Saúde", True, None),
    Attendee("Eliézer Matos", "Saúde", False, "no", "Plantão na UBS"),
    Attendee("Fátima Lopes", "Educação", True, "yes"),
    Attendee("Gustavo Brandão", "Assistência Jurídica", False, "no", "Audiência no fórum"),
    Attendee("Helena Pôrto", "Segurança Alimentar", False, None),
    Attendee("Íris Magalhães", "Habitação", False, "maybe"),
    Attendee("João Ávila", "CRAS Centro", False, "no", "Férias"),
    Attendee("Kátia Mendonça", "Educação", True, "yes"),
    Attendee("Lúcia Sant'Anna", "Conselho Tutelar", False, None),
]

EXTRAORDINARY = PresenceList(
    network_name="Rede de Proteção Social de Palmital",
    meeting_kind="Reunião extraordinária",
    # Wednesday 14/10/2026, 14h in Brasília.
    starts_at=datetime(2026, 10, 14, 17, 0, tzinfo=UTC),
    timezone="America/Sao_Paulo",
    place="Auditório da Secretaria de Assistência Social",
    topic="Fluxo de atendimento conjunto entre CRAS, CREAS e Conselho Tutelar",
    justification="Situação urgente que não pode aguardar a reunião ordinária de novembro.",
    convened_by="Conselho Tutelar (Bruno)",
    sectors_present=PRESENT_SECTORS,
    sectors_absent=ABSENT_SECTORS,
    attendees=ATTENDEES,
    # 13:00 UTC is 10h in Brasília.
    generated_at=datetime(2026, 11, 23, 13, 0, tzinfo=UTC),
)
ORDINARY = replace(
    EXTRAORDINARY, meeting_kind="Reunião ordinária", justification=None, convened_by=None
)


def _pages(pdf: bytes) -> list[str]:
    """The text of each page, with line breaks and runs of spaces as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def _long_list(count: int) -> PresenceList:
    attendees = [
        Attendee(f"Representante {n:02d}", SECTORS[n % 8], n % 8 < 5, "yes")
        for n in range(1, count + 1)
    ]
    return replace(EXTRAORDINARY, attendees=attendees)


# ---------------------------------------------------------------------- PDF


def test_pdf_is_an_a4_document_titled_with_the_network() -> None:
    pdf = presence_pdf(EXTRAORDINARY)
    reader = PdfReader(io.BytesIO(pdf))
    assert pdf.startswith(b"%PDF-")
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)
    text = _text(pdf)
    assert "Lista de Presença" in text
    assert "Rede de Proteção Social de Palmital" in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Lista de Presença — Rede de Proteção Social de Palmital"


def test_pdf_shows_the_meeting_data_in_brazilian_form() -> None:
    text = _text(presence_pdf(EXTRAORDINARY))
    assert "Tipo: Reunião extraordinária" in text
    assert "Data: quarta, 14/10/2026 às 14h" in text
    assert "Local: Auditório da Secretaria de Assistência Social" in text
    assert "Pauta: Fluxo de atendimento conjunto entre CRAS, CREAS e Conselho Tutelar" in text


def test_extraordinary_meeting_shows_its_justification_and_who_convened_it() -> None:
    text = _text(presence_pdf(EXTRAORDINARY))
    assert (
        "Justificativa: Situação urgente que não pode aguardar a reunião ordinária de novembro."
        in text
    )
    assert "Convocada por: Conselho Tutelar (Bruno)" in text


def test_ordinary_meeting_has_no_justification_nor_convener() -> None:
    text = _text(presence_pdf(ORDINARY))
    assert "Tipo: Reunião ordinária" in text
    assert "Justificativa" not in text
    assert "Convocada por" not in text


def test_pdf_lists_each_attendee_with_sector_and_presence_in_order() -> None:
    text = _text(presence_pdf(EXTRAORDINARY))
    assert "Setor Representante Presença Assinatura" in text
    position = 0
    for attendee in ATTENDEES:
        row = f"{attendee.sector} {attendee.name} {'Presente' if attendee.present else 'Ausente'}"
        found = text.find(row, position)
        assert found >= 0, row
        position = found + len(row)
    present = sum(a.present for a in ATTENDEES)
    assert len(re.findall(r"\bPresente\b", text)) == present
    assert len(re.findall(r"\bAusente\b", text)) == len(ATTENDEES) - present


def test_absence_reason_is_printed_under_the_absent_mark() -> None:
    text = _text(presence_pdf(EXTRAORDINARY))
    assert "Eliézer Matos Ausente Motivo: Plantão na UBS" in text
    assert "João Ávila Ausente Motivo: Férias" in text


def test_pdf_summarises_the_sectors_present_and_absent() -> None:
    text = _text(presence_pdf(EXTRAORDINARY))
    assert "Setores presentes: 5 de 8" in text
    assert "Presentes: CRAS Centro, CREAS, Conselho Tutelar, Saúde, Educação" in text
    assert "Ausentes: Assistência Jurídica, Segurança Alimentar, Habitação" in text


def test_all_sectors_present_says_no_sector_is_absent() -> None:
    data = replace(EXTRAORDINARY, sectors_present=SECTORS, sectors_absent=[])
    text = _text(presence_pdf(data))
    assert "Setores presentes: 8 de 8" in text
    assert "Ausentes: nenhum" in text


def test_footer_numbers_the_pages_and_says_when_it_was_generated() -> None:
    pages = _pages(presence_pdf(EXTRAORDINARY))
    assert len(pages) == 1
    assert "Página 1 de 1" in pages[0]
    assert "Gerado em 23/11/2026 às 10h" in pages[0]


def test_footer_says_a_1h_in_the_singular() -> None:
    data = replace(EXTRAORDINARY, generated_at=datetime(2026, 11, 23, 4, 30, tzinfo=UTC))
    assert "Gerado em 23/11/2026 à 1h30" in _text(presence_pdf(data))


def test_long_list_spans_two_pages_numbered_with_the_header_repeated() -> None:
    data = _long_list(40)
    pages = _pages(presence_pdf(data))
    assert len(pages) == 2
    for number, page in enumerate(pages, start=1):
        assert f"Página {number} de 2" in page
        assert "Gerado em 23/11/2026 às 10h" in page
        assert "Setor Representante Presença Assinatura" in page
    text = " ".join(pages)
    for attendee in data.attendees:
        assert f"{attendee.sector} {attendee.name} " in text
    assert "Setores presentes: 5 de 8" in pages[0]
    assert "Setores presentes" not in pages[1]


def test_same_input_gives_the_same_bytes() -> None:
    assert presence_pdf(EXTRAORDINARY) == presence_pdf(EXTRAORDINARY)
    assert presence_pdf(_long_list(40)) == presence_pdf(_long_list(40))


def test_pdf_dates_come_from_generated_at() -> None:
    reader = PdfReader(io.BytesIO(presence_pdf(EXTRAORDINARY)))
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"] == "D:20261123100000-03'00'"
    later = replace(EXTRAORDINARY, generated_at=datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    assert presence_pdf(later) != presence_pdf(EXTRAORDINARY)


def test_characters_the_font_cannot_draw_are_left_out() -> None:
    attendees = [
        Attendee("Gustavo 🙂 Brandão", "Saúde", True, "yes"),
        Attendee("Łucja Nowak", "CRAS Centro", True, "yes"),
    ]
    data = replace(EXTRAORDINARY, attendees=attendees, topic="Pauta 📋 com emoji ✅")
    text = _text(presence_pdf(data))
    assert "Saúde Gustavo Brandão Presente" in text
    assert "CRAS Centro Lucja Nowak Presente" in text
    assert "Pauta: Pauta com emoji" in text
    assert not re.search(r"[^\x00-\xff\u0152-\u0192\u02c6-\u2122]", text)


def test_user_text_is_printed_literally_not_as_markup() -> None:
    attendees = [Attendee("Ana <b>Silva</b> & Cia", "CRAS <Centro>", True, "yes")]
    data = replace(EXTRAORDINARY, attendees=attendees, place="Sala 2 <térreo> & anexo")
    text = _text(presence_pdf(data))
    assert "CRAS <Centro> Ana <b>Silva</b> & Cia Presente" in text
    assert "Local: Sala 2 <térreo> & anexo" in text


def test_pdf_follows_the_current_locale() -> None:
    with use_locale("es"):
        text = _text(presence_pdf(EXTRAORDINARY))
    assert "Lista de asistencia" in text
    assert "Sectores presentes: 5 de 8" in text
    assert "Sector Representante Asistencia Firma" in text
    assert "Página 1 de 1" in text


def test_naive_instants_are_refused() -> None:
    naive = replace(EXTRAORDINARY, generated_at=datetime(2026, 11, 23, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        presence_pdf(naive)


# ---------------------------------------------------------------------- CSV


def test_csv_starts_with_a_bom_and_parses_back_to_one_row_per_attendee() -> None:
    data = presence_csv(EXTRAORDINARY)
    assert data.startswith("\ufeff".encode())
    rows = _csv_rows(data)
    assert rows[0] == ["Setor", "Representante", "Presença", "Resposta", "Motivo da ausência"]
    assert len(rows) == 1 + len(ATTENDEES)
    assert rows[1] == ["CRAS Centro", "Ana Conceição", "Presente", "Sim", ""]
    assert rows[3] == ["CREAS", "Cláudia Simões", "Presente", "Talvez", ""]
    assert rows[4] == ["Saúde", "Débora Gonçalves", "Presente", "Sem resposta", ""]
    assert rows[5] == ["Saúde", "Eliézer Matos", "Ausente", "Não", "Plantão na UBS"]
    assert rows[12] == ["Conselho Tutelar", "Lúcia Sant'Anna", "Ausente", "Sem resposta", ""]


def test_csv_keeps_delimiters_quotes_and_emoji_inside_cells() -> None:
    attendees = [
        Attendee('Ana "Aninha"; Silva 🙂', "CRAS", False, "no", "Doente; atestado\nentregue")
    ]
    rows = _csv_rows(presence_csv(replace(EXTRAORDINARY, attendees=attendees)))
    assert rows[1] == [
        "CRAS",
        'Ana "Aninha"; Silva 🙂',
        "Ausente",
        "Não",
        "Doente; atestado\nentregue",
    ]


def test_csv_cells_never_start_as_a_spreadsheet_formula() -> None:
    attendees = [Attendee('=HYPERLINK("http://x")', "+CRAS", False, "no", "@SUM(A1)")]
    rows = _csv_rows(presence_csv(replace(EXTRAORDINARY, attendees=attendees)))
    assert rows[1] == ["'+CRAS", '\'=HYPERLINK("http://x")', "Ausente", "Não", "'@SUM(A1)"]


def test_csv_has_nothing_but_the_header_and_the_rows() -> None:
    data = presence_csv(replace(EXTRAORDINARY, attendees=[]))
    assert data == "\ufeffSetor;Representante;Presença;Resposta;Motivo da ausência\r\n".encode()


def test_csv_headers_follow_the_locale() -> None:
    with use_locale("es"):
        rows = _csv_rows(presence_csv(EXTRAORDINARY))
    assert rows[0] == [
        "Sector",
        "Representante",
        "Asistencia",
        "Respuesta",
        "Motivo de la ausencia",
    ]
    assert rows[1] == ["CRAS Centro", "Ana Conceição", "Presente", "Sí", ""]
    with use_locale("en"):
        rows = _csv_rows(presence_csv(EXTRAORDINARY))
    assert rows[0] == ["Sector", "Representative", "Attendance", "Reply", "Reason for absence"]


# ----------------------------------------------------------------- filename


def test_filename_carries_the_meeting_local_day() -> None:
    assert presence_filename(EXTRAORDINARY, "pdf") == "lista-presenca-2026-10-14.pdf"
    assert presence_filename(EXTRAORDINARY, ".csv") == "lista-presenca-2026-10-14.csv"
    # 01:00 UTC on the 15th is still 22h of the 14th in Brasília.
    late = replace(EXTRAORDINARY, starts_at=datetime(2026, 10, 15, 1, 0, tzinfo=UTC))
    assert presence_filename(late, "pdf") == "lista-presenca-2026-10-14.pdf"
    with use_locale("es"):
        assert presence_filename(EXTRAORDINARY, "csv") == "lista-asistencia-2026-10-14.csv"


def test_very_long_texts_wrap_and_flow_onto_more_pages() -> None:
    justification = "Situação grave e urgente que exige reunião. " * 300
    attendees = [Attendee("Ana " * 40, "Saúde " * 15, False, "no", "motivo " * 1000)] * 3
    data = replace(EXTRAORDINARY, justification=justification, attendees=attendees)
    pages = _pages(presence_pdf(data))
    assert len(pages) > 1
    assert f"Página {len(pages)} de {len(pages)}" in pages[-1]
    assert pages[-1].count("Ausente Motivo: motivo") >= 1
