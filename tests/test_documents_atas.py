"""The book of a year's approved atas (seed 000 §6, "Registros formais") as one PDF."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from bot.documents import AtaBook, AtaEntry, atas_filename, atas_pdf
from bot.i18n import use_locale

NETWORK = "Rede de Proteção Social de Palmital"
TZ = "America/Sao_Paulo"

SHORT_TEXT = (
    "Aos dez dias de fevereiro de dois mil e vinte e seis, reuniu-se a Rede.\n"
    "Presentes: CRAS Centro, CREAS e Conselho Tutelar.\n"
    "\n"
    "1. Informes gerais: a coordenação apresentou o calendário do ano.\n"
    "2. Fluxo de atendimento: o CREAS fará a referência dos casos.\n"
    "   \n"
    "Nada mais havendo a tratar, encerrou-se a reunião. 📝"
)

_FILLER = (
    "a rede discutiu o fluxo de atendimento das famílias acompanhadas pelo CRAS e pelo "
    "CREAS, com encaminhamentos para a saúde e a educação e prazos combinados entre os setores"
).split()


def _long_paragraph(number: int) -> str:
    words = [_FILLER[(number + i) % len(_FILLER)] for i in range(98)]
    return f"Item {number}: " + " ".join(words) + "."


# 40 paragraphs of 100 words: about 4000 words, several pages.
LONG_TEXT = "\n\n".join(_long_paragraph(n) for n in range(1, 41))


def _digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


FILE_DIGEST = _digest("ata-junho.pdf contents")

ENTRIES = [
    AtaEntry(
        meeting_kind="Reunião ordinária",
        # Tuesday 10/02/2026, 14h in Brasília.
        starts_at=datetime(2026, 2, 10, 17, 0, tzinfo=UTC),
        place="Sala de reuniões do CRAS Centro",
        topic="Planejamento anual da Rede",
        author_sector="CREAS",
        secretary_sector="CRAS Centro",
        approved_at=datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
        sha256=_digest(SHORT_TEXT),
        text=SHORT_TEXT,
        file_name=None,
    ),
    AtaEntry(
        meeting_kind="Reunião extraordinária",
        # Tuesday 14/04/2026, 14h30 in Brasília.
        starts_at=datetime(2026, 4, 14, 17, 30, tzinfo=UTC),
        place="Auditório da Secretaria de Assistência Social",
        topic="Fluxo de atendimento conjunto entre CRAS, CREAS e Conselho Tutelar",
        author_sector="Conselho Tutelar",
        secretary_sector=None,
        # 01:30 UTC on 13/05 is still 12/05 in Brasília.
        approved_at=datetime(2026, 5, 13, 1, 30, tzinfo=UTC),
        sha256=_digest(LONG_TEXT),
        text=LONG_TEXT,
        file_name=None,
    ),
    AtaEntry(
        meeting_kind="Reunião ordinária",
        # Tuesday 09/06/2026, 14h in Brasília.
        starts_at=datetime(2026, 6, 9, 17, 0, tzinfo=UTC),
        place="Sala de reuniões do CRAS Centro",
        topic="Avaliação do semestre",
        author_sector="Saúde",
        secretary_sector="Educação",
        approved_at=datetime(2026, 7, 14, 18, 0, tzinfo=UTC),
        sha256=FILE_DIGEST,
        text=None,
        file_name="ata-junho.pdf",
    ),
]

BOOK = AtaBook(
    network_name=NETWORK,
    year=2026,
    timezone=TZ,
    entries=ENTRIES,
    # 13:00 UTC is 10h in Brasília.
    generated_at=datetime(2026, 11, 23, 13, 0, tzinfo=UTC),
)
EMPTY = replace(BOOK, entries=[])

# What every page but the first carries above and below its content.
PAGE_FRAME = (
    rf"Atas aprovadas — 2026 — {re.escape(NETWORK)} "
    r"Gerado em 23/11/2026 às 10h Página \d+ de \d+ "
)

HEADINGS = [
    "Ata da reunião ordinária de terça, 10/02/2026 às 14h",
    "Ata da reunião extraordinária de terça, 14/04/2026 às 14h30",
    "Ata da reunião ordinária de terça, 09/06/2026 às 14h",
]


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def _pages(pdf: bytes) -> list[str]:
    """The text of each page, with line breaks and runs of spaces as one space."""
    return [" ".join(page.extract_text().split()) for page in _reader(pdf).pages]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


def _page_of(pages: list[str], needle: str) -> int:
    """The 1-based number of the only page that contains ``needle``."""
    found = [number for number, text in enumerate(pages, start=1) if needle in text]
    assert len(found) == 1, (needle, found)
    return found[0]


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return atas_pdf(BOOK)


@pytest.fixture(scope="module")
def pages(pdf: bytes) -> list[str]:
    return _pages(pdf)


# -------------------------------------------------------------------- cover


def test_book_is_an_a4_pdf_titled_with_the_year_and_network(pdf: bytes) -> None:
    reader = _reader(pdf)
    assert pdf.startswith(b"%PDF-")
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
            595,
            842,
        )
    assert reader.metadata is not None
    assert reader.metadata.title == f"Atas aprovadas — 2026 — {NETWORK}"


def test_cover_shows_title_network_count_and_contents(pages: list[str]) -> None:
    cover = pages[0]
    assert "Atas aprovadas — 2026" in cover
    assert NETWORK in cover
    assert "3 atas aprovadas" in cover
    assert "Sumário" in cover
    assert "SHA-256" in cover  # what the codes printed on each ata mean
    for heading in HEADINGS:  # the atas themselves start on the next pages
        assert heading not in cover


def test_contents_lists_each_ata_with_the_page_it_starts_on(pages: list[str]) -> None:
    cover = pages[0]
    starts = [_page_of(pages, heading) for heading in HEADINGS]
    assert starts[0] == 2
    assert f"Planejamento anual da Rede {starts[0]}" in cover
    assert f"Conselho Tutelar {starts[1]}" in cover
    assert f"Avaliação do semestre {starts[2]}" in cover
    assert "terça, 14/04/2026 às 14h30" in cover


def test_pdf_outline_has_one_entry_per_ata(pdf: bytes, pages: list[str]) -> None:
    reader = _reader(pdf)
    outline = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in outline] == HEADINGS
    assert [(reader.get_destination_page_number(item) or 0) + 1 for item in outline] == [
        _page_of(pages, heading) for heading in HEADINGS
    ]


# -------------------------------------------------------------------- atas


def test_each_ata_starts_on_a_new_page_with_its_heading(pages: list[str]) -> None:
    starts = [_page_of(pages, heading) for heading in HEADINGS]
    assert starts == sorted(set(starts))
    for number, start in enumerate(starts, start=1):
        assert f"Ata nº {number:02d}/2026" in pages[start - 1]


def test_ata_data_table(pages: list[str]) -> None:
    first = pages[_page_of(pages, HEADINGS[0]) - 1]
    assert "Local: Sala de reuniões do CRAS Centro" in first
    assert "Pauta: Planejamento anual da Rede" in first
    assert "Responsável pela ata: CREAS" in first
    assert "Secretaria: CRAS Centro" in first
    assert "Aprovada em: 10/03/2026" in first

    second = pages[_page_of(pages, HEADINGS[1]) - 1]
    assert "Responsável pela ata: Conselho Tutelar" in second
    assert "Secretaria:" not in second  # no secretary: no empty row
    assert "Aprovada em: 12/05/2026" in second  # the day in the network's zone


def test_every_ata_shows_its_full_sha256(pages: list[str]) -> None:
    for entry in ENTRIES:
        start = _page_of(pages, HEADINGS[ENTRIES.index(entry)])
        # The digest may be wrapped over lines: compare without whitespace.
        assert entry.sha256 in re.sub(r"\s+", "", pages[start - 1])


def test_a_long_sha256_is_wrapped_not_cut() -> None:
    digest = "0123456789abcdef" * 12  # wider than the column
    pdf = atas_pdf(replace(BOOK, entries=[replace(ENTRIES[0], sha256=digest)]))
    page = _reader(pdf).pages[1].extract_text()
    assert digest not in page  # split over lines ...
    assert digest in re.sub(r"\s+", "", page)  # ... but complete


def test_text_paragraphs_and_line_breaks_are_kept(pdf: bytes, pages: list[str]) -> None:
    start = _page_of(pages, HEADINGS[0])
    raw = _reader(pdf).pages[start - 1].extract_text()
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    assert "Presentes: CRAS Centro, CREAS e Conselho Tutelar." in lines
    assert "1. Informes gerais: a coordenação apresentou o calendário do ano." in lines
    assert "2. Fluxo de atendimento: o CREAS fará a referência dos casos." in lines
    # The emoji cannot be drawn with the standard fonts: left out, the words kept.
    assert "Nada mais havendo a tratar, encerrou-se a reunião." in lines


def test_a_long_text_flows_over_pages(pages: list[str]) -> None:
    start = _page_of(pages, HEADINGS[1])
    end = _page_of(pages, HEADINGS[2])
    assert end - start >= 4  # about 4000 words
    text = " ".join(pages[start - 1 : end - 1])
    for number in range(1, 41):
        assert f"Item {number}:" in text
    assert "Item 1:" in pages[start - 1]
    assert "Item 40:" in pages[end - 2]
    # Every word made it to the pages, in order (without the running header and footer).
    body = re.sub(PAGE_FRAME, "", text)
    assert " ".join(LONG_TEXT.split()) in body


def test_file_ata_gets_a_note_instead_of_text(pages: list[str]) -> None:
    page = pages[_page_of(pages, HEADINGS[2]) - 1]
    assert "Ata entregue como arquivo: ata-junho.pdf (enviado junto com este documento)." in page
    assert "Responsável pela ata: Saúde" in page
    assert "Secretaria: Educação" in page
    assert "Item " not in page


def test_ata_without_text_or_file_says_so() -> None:
    entry = replace(ENTRIES[0], text=" \n\n ", file_name=None)
    text = _text(atas_pdf(replace(BOOK, entries=[entry])))
    assert "Esta ata não tem texto registrado." in text
    assert "Ata entregue como arquivo" not in text


# ---------------------------------------------------------------- the pages


def test_every_page_is_numbered_and_dated(pages: list[str]) -> None:
    total = len(pages)
    assert total >= 7
    assert "Página 1 de" in pages[0]
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {total}" in text
        assert "Gerado em 23/11/2026 às 10h" in text
    for text in pages[1:]:  # the running header, from page 2 on
        assert f"Atas aprovadas — 2026 — {NETWORK}" in text


def test_empty_book_is_one_page_saying_there_are_no_atas() -> None:
    pdf = atas_pdf(EMPTY)
    pages = _pages(pdf)
    assert len(pages) == 1
    assert "Atas aprovadas — 2026" in pages[0]
    assert NETWORK in pages[0]
    assert "Não há atas aprovadas em 2026." in pages[0]
    assert "Página 1 de 1" in pages[0]
    for absent in ("Sumário", "Nº", "Reunião", "SHA-256"):
        assert absent not in pages[0]


def test_same_input_gives_the_same_bytes(pdf: bytes) -> None:
    assert atas_pdf(BOOK) == pdf
    assert atas_pdf(replace(BOOK, entries=list(ENTRIES))) == pdf
    assert atas_pdf(EMPTY) == atas_pdf(EMPTY)
    creation = _reader(pdf).metadata
    assert creation is not None
    assert str(creation["/CreationDate"]) == "D:20261123100000-03'00'"


def test_naive_datetimes_are_refused() -> None:
    naive = replace(ENTRIES[0], approved_at=datetime(2026, 3, 10, 18, 0))
    with pytest.raises(ValueError, match="naive"):
        atas_pdf(replace(BOOK, entries=[naive]))


# -------------------------------------------------------------------- names


def test_filename_is_translated() -> None:
    assert atas_filename(BOOK) == "atas-2026.pdf"
    with use_locale("es"):
        assert atas_filename(BOOK) == "actas-2026.pdf"
    with use_locale("en"):
        assert atas_filename(BOOK) == "approved-minutes-2026.pdf"


def test_spanish_book() -> None:
    entries = [replace(entry, meeting_kind="Reunión ordinaria") for entry in ENTRIES]
    with use_locale("es"):
        pdf = atas_pdf(replace(BOOK, entries=entries))
        empty = atas_pdf(EMPTY)
    pages = _pages(pdf)
    assert "Actas aprobadas — 2026" in pages[0]
    assert "3 actas aprobadas" in pages[0]
    assert "Índice" in pages[0]
    text = " ".join(pages)
    assert "Acta de la reunión ordinaria del martes, 10/02/2026 a las 14:00" in text
    assert "Redacción: CREAS" in text
    assert "Aprobada el: 10/03/2026" in text
    assert "Acta entregada como archivo: ata-junho.pdf" in text
    assert f"Página 1 de {len(pages)}" in pages[0]
    assert "No hay actas aprobadas en 2026." in _text(empty)
