"""The network's annual report (seed 000 §6, "Relatório anual das ações intersetoriais")
as a PDF, a spreadsheet and a ZIP of CSVs."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.i18n import use_locale
from bot.reports import (
    AnnualReport,
    DeadlineCompliance,
    ExtraordinaryRow,
    KindCount,
    MeetingRow,
    PlanProgress,
    ReferralRow,
    SectorAttendance,
    SectorDevolutivas,
    report_csv,
    report_filename,
    report_pdf,
    report_xlsx,
)

NETWORK = "Rede de Proteção Social de Palmital"
TZ = "America/Sao_Paulo"
GENERATED = datetime(2027, 1, 15, 13, 0, tzinfo=UTC)  # 15/01/2027 às 10h in Brasília

JUSTIFICATION_1 = (
    "Aumento expressivo de casos de violência contra crianças e adolescentes notificados "
    "pelas escolas municipais no último bimestre, exigindo a pactuação imediata de um fluxo "
    "de atendimento conjunto entre o CREAS, o Conselho Tutelar, a Secretaria de Educação e a "
    "Atenção Básica, antes do recesso escolar de julho, quando as famílias deixam de ser "
    "acompanhadas pelas escolas."
)
JUSTIFICATION_2 = (
    "Interdição do abrigo institucional pela Vigilância Sanitária, com a necessidade de "
    "realocar os acolhidos em até 72 horas e de definir as responsabilidades de cada setor "
    "no acompanhamento das famílias durante a reforma."
)

SECTORS = [
    ("CRAS Centro", 12, 12),
    ("CRAS Vila Nova", 12, 9),  # 75%
    ("CREAS", 12, 11),
    ("Conselho Tutelar", 12, 10),
    ("Secretaria Municipal de Educação", 12, 6),  # 50%
    ("Unidade Básica de Saúde Jardim das Flores", 12, 8),
    ("CAPS I", 8, 2),  # 25%
    ("Defensoria Pública", 4, 0),
]


def _meetings() -> list[MeetingRow]:
    rows = []
    for month in range(1, 13):
        cancelled = month == 7
        rows.append(
            MeetingRow(
                starts_at=datetime(2026, month, 10, 17, 0, tzinfo=UTC),
                kind="Reunião ordinária",
                place="Sala de reuniões do CRAS Centro",
                topic=f"Pauta ordinária de {month:02d}/2026",
                status="cancelada" if cancelled else "realizada",
                sectors_present=0 if cancelled else 6,
                sectors_expected=8,
            )
        )
    return rows


def _referrals() -> list[ReferralRow]:
    statuses = ["no prazo", "no prazo", "atrasada", "em aberto"]
    rows = []
    for i in range(24):
        created = datetime(2026, 1 + i % 12, 5, 13, 30, tzinfo=UTC)
        status = statuses[i % 4]
        answered = None if status == "em aberto" else created + timedelta(days=3 + i % 9)
        rows.append(
            ReferralRow(
                code=f"ENC-2026-{i + 1:03d}",
                created_at=created,
                description="=Família em situação de vulnerabilidade" if i == 0 else "Família",
                sector=SECTORS[i % 8][0],
                deadline=created.date() + timedelta(days=10),
                answered_at=answered,
                status=status,
            )
        )
    return rows


def build_report() -> AnnualReport:
    return AnnualReport(
        network_name=NETWORK,
        year=2026,
        timezone=TZ,
        generated_at=GENERATED,
        kinds=[
            KindCount("Reunião ordinária", planned=12, held=10, unrecorded=1, cancelled=1),
            KindCount("Reunião extraordinária", planned=2, held=1, unrecorded=0, cancelled=1),
            KindCount("GT Primeira Infância", planned=6, held=5, unrecorded=1, cancelled=0),
        ],
        extraordinary=[
            ExtraordinaryRow(
                starts_at=datetime(2026, 4, 14, 17, 30, tzinfo=UTC),
                place="Auditório da Secretaria de Assistência Social",
                agenda="Fluxo de atendimento conjunto",
                convened_by="Coordenação da Rede",
                basis="Art. 8º do Regimento Interno",
                justification=JUSTIFICATION_1,
                cancelled=False,
            ),
            ExtraordinaryRow(
                starts_at=datetime(2026, 9, 2, 12, 0, tzinfo=UTC),
                place="CREAS",
                agenda="Acolhimento institucional",
                convened_by="CREAS",
                basis="Pedido de 1/3 dos setores",
                justification=JUSTIFICATION_2,
                cancelled=True,
            ),
        ],
        attendance=[SectorAttendance(s, expected=e, present=p) for s, e, p in SECTORS],
        referrals_opened=20,
        devolutivas_owed=24,
        answered_on_time=12,
        answered_late=6,
        closed_unanswered=1,
        still_open=5,
        devolutivas=[
            SectorDevolutivas("CRAS Centro", 6, 4, 1, 1, 0, mean_days=3.5, median_days=3.0),
            SectorDevolutivas("CREAS", 8, 5, 2, 0, 1, mean_days=7.25, median_days=6.0),
            SectorDevolutivas("Conselho Tutelar", 6, 3, 3, 0, 0, mean_days=12.0, median_days=11.5),
            SectorDevolutivas(
                "Defensoria Pública", 4, 0, 0, 4, 0, mean_days=None, median_days=None
            ),
        ],
        plans=[
            PlanProgress("Plano de enfrentamento ao trabalho infantil", total=5, done=5, overdue=0),
            PlanProgress("Plano de acolhimento", total=8, done=3, overdue=2),
        ],
        atas_meetings=17,
        atas_delivered=16,
        atas_approved=15,
        deadlines=[
            DeadlineCompliance("RMA CRAS", expected=24, confirmed=22),
            DeadlineCompliance("Censo SUAS", expected=8, confirmed=8),
        ],
        meetings=_meetings(),
        referrals=_referrals(),
    )


def empty_report() -> AnnualReport:
    return AnnualReport(
        network_name=NETWORK,
        year=2026,
        timezone=TZ,
        generated_at=GENERATED,
        kinds=[],
        extraordinary=[],
        attendance=[],
        referrals_opened=0,
        devolutivas_owed=0,
        answered_on_time=0,
        answered_late=0,
        closed_unanswered=0,
        still_open=0,
        devolutivas=[],
        plans=[],
        atas_meetings=0,
        atas_delivered=0,
        atas_approved=0,
        deadlines=[],
        meetings=[],
        referrals=[],
    )


def large_report() -> AnnualReport:
    """40 meetings, 30 sectors with long names, 2,000 referral rows."""
    sectors = [
        f"Secretaria Municipal de Políticas Intersetoriais nº {n:02d} — Unidade Regional"
        for n in range(1, 31)
    ]
    base = build_report()
    meetings = [
        replace(
            base.meetings[0], starts_at=datetime(2026, 1, 5, 13, tzinfo=UTC) + timedelta(days=9 * n)
        )
        for n in range(40)
    ]
    referrals = [
        replace(
            base.referrals[n % 24],
            code=f"ENC-2026-{n + 1:04d}",
            sector=sectors[n % 30],
            created_at=datetime(2026, 1, 2, 12, tzinfo=UTC) + timedelta(hours=4 * n),
        )
        for n in range(2000)
    ]
    return replace(
        base,
        attendance=[SectorAttendance(s, 40, (7 * i) % 41) for i, s in enumerate(sectors)],
        devolutivas=[
            SectorDevolutivas(s, 66, 40, 20, 6, 0, mean_days=4.0 + i / 3, median_days=3.0 + i / 4)
            for i, s in enumerate(sectors)
        ],
        meetings=meetings,
        referrals=referrals,
        referrals_opened=1500,
        devolutivas_owed=2000,
        answered_on_time=1200,
        answered_late=600,
        still_open=200,
    )


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def _flat(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------- PDF


def test_pdf_has_every_section_and_the_figures() -> None:
    pdf = report_pdf(build_report())
    assert pdf.startswith(b"%PDF")
    text = _flat(_pdf_text(pdf))
    assert NETWORK in text
    assert "Relatório anual das ações intersetoriais" in text
    for title in (
        "1. Reuniões",
        "2. Reuniões extraordinárias",
        "3. Presença por setor",
        "4. Encaminhamentos",
        "5. Planos de ação",
        "6. Atas",
        "7. Prazos dos sistemas",
    ):
        assert title in text
    # Meetings: 12 ordinary planned; held, without record, cancelled; totals 20 / 16 / 2 / 2.
    assert "Reunião ordinária 12 10 1 1 83%" in text
    assert "Total 20 16 2 2 80%" in text
    assert "Realizadas: com lista de presença ou ata aprovada." in text
    # Extraordinary meetings: who, basis and the justification in full.
    assert "Coordenação da Rede" in text
    assert "Art. 8º do Regimento Interno" in text
    assert _flat(JUSTIFICATION_1) in text
    assert _flat(JUSTIFICATION_2) in text
    assert "cancelada" in text
    # Attendance: rates, sorted by rate.
    assert "CRAS Vila Nova 12 9 75%" in text
    assert "CAPS I 8 2 25%" in text
    assert text.index("CRAS Centro 12 12 100%") < text.index("CRAS Vila Nova 12 9 75%")
    assert text.index("CRAS Vila Nova 12 9 75%") < text.index("CAPS I 8 2 25%")
    # Referrals: the figures and the mean / median days (1 decimal, "—" when none).
    # Encaminhamentos and the devolutivas they owe are counted apart, each labelled.
    assert "Encaminhamentos registrados no ano 20" in text
    assert "Devolutivas devidas (uma por setor e encaminhamento) 24" in text
    assert "Devolutivas no prazo 12 50%" in text
    assert "Devolutivas não dadas (encaminhamento encerrado) 1 4%" in text
    assert "Devolutivas ainda pendentes 5 21%" in text
    assert "CREAS 8 5 2 0 1 7,3 6,0" in text  # 7.25 rounds half up
    assert "CRAS Centro 6 4 1 1 0 3,5 3,0" in text
    assert "Defensoria Pública 4 0 0 4 0 — —" in text
    # Plans: "concluído" only when every action is done.
    assert "5 de 5 (100%)" in text
    assert "3 de 8 (38%)" in text
    assert "Plano de enfrentamento ao trabalho infantil 5 de 5 (100%) 0 concluído" in text
    assert "Plano de acolhimento 3 de 8 (38%) 2 em andamento" in text
    assert len(re.findall(r"\bconcluído\b", text)) == 1
    # Atas and deadlines.
    assert "Atas aprovadas 15 88%" in text
    assert "22 de 24 (92%)" in text
    # Footer and cover.
    assert "Gerado em 15/01/2027 às 10h" in text
    assert "Página 1 de" in text
    assert "Sumário" in text


def test_pdf_is_deterministic() -> None:
    report = build_report()
    assert report_pdf(report) == report_pdf(report)
    reader = PdfReader(io.BytesIO(report_pdf(report)))
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"].startswith("D:20270115100000")


def test_pdf_cover_contents_points_at_the_sections() -> None:
    reader = PdfReader(io.BytesIO(report_pdf(build_report())))
    cover = _flat(reader.pages[0].extract_text())
    assert f"Página 1 de {len(reader.pages)}" in cover
    assert "Sumário" in cover
    outline = list(reader.outline)
    assert len(outline) == 9  # the seven sections, the flows and the cases (issue 15)
    for item in outline:
        assert not isinstance(item, list)
        page = reader.get_destination_page_number(item) + 1
        assert f"{item.title} {page}" in cover  # "1. Reuniões 2"
        assert item.title in _flat(reader.pages[page - 1].extract_text())
    assert reader.get_destination_page_number(outline[0]) == 1  # right after the cover


def test_empty_year_is_the_cover_and_one_page_saying_so() -> None:
    report = empty_report()
    assert report.is_empty()
    reader = PdfReader(io.BytesIO(report_pdf(report)))
    assert len(reader.pages) == 2
    text = _flat(reader.pages[1].extract_text())
    assert "Não há registros de 2026" in text
    assert "Reuniões" not in text
    # No chart nor table: nothing is drawn but the text, header and footer lines.
    content = reader.pages[1].get_contents()
    assert content is not None
    assert b" re " not in content.get_data()  # no filled bar or cell
    assert "Sumário" not in _flat(reader.pages[0].extract_text())


def test_sections_without_data_say_so_in_one_line() -> None:
    report = replace(
        build_report(),
        extraordinary=[],
        plans=[],
        deadlines=[],
        atas_meetings=0,
        atas_delivered=0,
        atas_approved=0,
    )
    text = _flat(_pdf_text(report_pdf(report)))
    assert "Não houve reuniões extraordinárias em 2026." in text
    assert "Não houve planos de ação em 2026." in text
    assert "Nenhum prazo dos sistemas acompanhado em 2026." in text
    assert "Nenhuma ata era devida em 2026." in text


def test_pdf_draws_only_drawable_characters() -> None:
    report = replace(build_report(), network_name="Rede 🤝 Łódź <b>&</b>")
    text = _flat(_pdf_text(report_pdf(report)))
    assert "Rede Lódz <b>&</b>" in text  # ó is drawable, Ł becomes L, the emoji goes


def test_pdf_follows_the_locale() -> None:
    with use_locale("es"):
        text = _flat(_pdf_text(report_pdf(build_report())))
    assert "Informe anual de las acciones intersectoriales" in text
    assert "1. Reuniones" in text


# -------------------------------------------------------------------- XLSX


def test_xlsx_holds_the_figures_and_real_dates() -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(build_report())))
    assert wb.sheetnames == [
        "Resumo",
        "Reuniões",
        "Presença",
        "Encaminhamentos",
        "Devolutivas por setor",
        "Extraordinárias",
        "Fluxos",
    ]
    summary = wb["Resumo"]
    values = [[cell.value for cell in row] for row in summary.iter_rows()]
    assert ["Reunião ordinária", 12, 10, 1, 1] == values[
        [r[0] for r in values].index("Reunião ordinária")
    ][:5]
    labels = {row[0]: row[1] for row in values if row[0]}
    assert labels["Rede"] == NETWORK
    assert labels["Ano"] == 2026
    assert labels["Gerado em"] == datetime(2027, 1, 15, 10, 0)
    assert labels["Encaminhamentos registrados no ano"] == 20
    assert labels["Devolutivas ainda pendentes"] == 5
    assert labels["Atas aprovadas"] == 15
    assert summary.freeze_panes == "A2"

    meetings = wb["Reuniões"]
    assert meetings.freeze_panes == "A2"
    assert meetings["A1"].font.bold
    assert meetings["A2"].value == datetime(2026, 1, 10, 14, 0)  # local, naive
    assert meetings["A2"].number_format == "dd/mm/yyyy hh:mm"
    assert meetings["F2"].value == 6 and meetings["G2"].value == 8
    assert meetings.max_row == 13

    attendance = wb["Presença"]
    rows = list(attendance.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("CRAS Centro", 12, 12, 1.0)
    assert ("CRAS Vila Nova", 12, 9, 0.75) in rows
    assert attendance["D2"].number_format == "0%"

    referrals = wb["Encaminhamentos"]
    assert referrals.max_row == 25
    assert referrals["B2"].value == datetime(2026, 1, 5, 10, 30)
    assert referrals["E2"].value == datetime(2026, 1, 15)  # a date (openpyxl reads datetimes)
    assert referrals["E2"].number_format == "dd/mm/yyyy"
    assert referrals["C2"].value == "=Família em situação de vulnerabilidade"
    assert referrals["C2"].data_type == "s"  # typed text, never a formula
    assert referrals["F5"].value is None  # still open
    assert referrals["G5"].value == "em aberto"

    devolutivas = wb["Devolutivas por setor"]
    assert [c.value for c in devolutivas[3]] == ["CREAS", 8, 5, 2, 0, 1, 7.25, 6.0]
    assert devolutivas["G5"].value is None

    extraordinary = wb["Extraordinárias"]
    assert extraordinary["A2"].value == datetime(2026, 4, 14, 14, 30)
    assert extraordinary["F2"].value == JUSTIFICATION_1
    assert extraordinary["G3"].value == "Sim"
    for ws in wb.worksheets:
        assert ws.column_dimensions["A"].width > 10


def test_xlsx_is_deterministic() -> None:
    report = build_report()
    assert report_xlsx(report) == report_xlsx(report)


# --------------------------------------------------------------------- CSV


def _csv_files(data: bytes) -> dict[str, list[list[str]]]:
    files = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            assert raw.startswith("\ufeff".encode())
            text = raw.decode("utf-8-sig")
            files[name] = list(csv.reader(io.StringIO(text), delimiter=";"))
    return files


def test_csv_zip_has_the_files() -> None:
    files = _csv_files(report_csv(build_report()))
    assert sorted(files) == sorted(
        [
            "resumo.csv",
            "reunioes.csv",
            "presenca.csv",
            "encaminhamentos.csv",
            "devolutivas.csv",
            "fluxos.csv",
        ]
    )
    assert ["Reuniões", "Reunião ordinária", "Previstas", "12"] in files["resumo.csv"]
    assert files["reunioes.csv"][1][0] == "10/01/2026 14:00"
    assert len(files["reunioes.csv"]) == 13
    assert files["presenca.csv"][0][0] == "Setor"
    assert ["CRAS Vila Nova", "12", "9", "75%"] in files["presenca.csv"]
    encaminhamentos = files["encaminhamentos.csv"]
    assert len(encaminhamentos) == 25
    assert encaminhamentos[1][2] == "'=Família em situação de vulnerabilidade"
    assert ["CRAS Centro", "6", "4", "1", "1", "0", "3,5", "3,0"] in files["devolutivas.csv"]
    assert ["Defensoria Pública", "4", "0", "0", "4", "0", "", ""] in files["devolutivas.csv"]
    assert report_csv(build_report()) == report_csv(build_report())


def test_file_names() -> None:
    report = build_report()
    assert report_filename(report, "pdf") == "relatorio-anual-2026.pdf"
    assert report_filename(report, ".xlsx") == "relatorio-anual-2026.xlsx"
    with use_locale("es"):
        assert report_filename(report, "zip") == "informe-anual-2026.zip"


# ------------------------------------------------------------------- large


@pytest.mark.timeout(60)
def test_a_large_year_renders() -> None:
    report = large_report()
    pdf = report_pdf(report)
    text = _flat(_pdf_text(pdf))
    assert "ENC-2026-0001" not in text  # the referral rows stay out of the PDF
    assert "7. Prazos dos sistemas" in text
    wb = load_workbook(io.BytesIO(report_xlsx(report)), read_only=True)
    assert wb["Encaminhamentos"].max_row == 2001
    assert wb["Presença"].max_row == 31
    files = _csv_files(report_csv(report))
    assert len(files["encaminhamentos.csv"]) == 2001


def test_odd_figures_render_without_charts_that_would_be_empty() -> None:
    report = replace(
        build_report(),
        kinds=[KindCount("Reunião ordinária", planned=0, held=0, unrecorded=0, cancelled=1)],
        attendance=[SectorAttendance("CRAS Centro", expected=0, present=0)],
        answered_on_time=0,
        answered_late=0,
        still_open=0,
        devolutivas=[SectorDevolutivas("CREAS", 0, 0, 0, 0, 0, None, None)],
        plans=[PlanProgress("Plano sem ações", total=0, done=0, overdue=0)],
        deadlines=[DeadlineCompliance("RMA CRAS", expected=0, confirmed=0)],
    )
    text = _flat(_pdf_text(report_pdf(report)))
    assert "CRAS Centro 0 0 —" in text  # no rate without an expected meeting
    assert "Plano sem ações 0 de 0 (—) 0 sem ações" in text
    assert "CREAS 0 0 0 0 0 — —" in text
    wb = load_workbook(io.BytesIO(report_xlsx(report)))
    assert wb["Presença"]["D2"].value is None
