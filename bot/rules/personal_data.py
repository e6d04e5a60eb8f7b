"""What the bot holds about one person in one network, as plain data (LGPD art. 18 II):
shown to them as a summary, and as a JSON file with Portuguese keys (``to_json``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.rules.retention import DEFAULT, Retention
from bot.rules.status import (
    AtaStatus,
    ExtensionStatus,
    MarkedBy,
    MeetingStatus,
    ReferralStatus,
)

# The file's words are Portuguese, whatever the network's language (a stable format).
ANSWER_WORDS = {"yes": "vou", "no": "não vou", "maybe": "talvez"}
MARKED_BY_WORDS: dict[str, str] = {MarkedBy.SELF: "você", MarkedBy.COORDINATOR: "coordenação"}
STATUS_WORDS: dict[str, str] = {
    AtaStatus.PENDING: "pendente",
    AtaStatus.DELIVERED: "entregue",
    AtaStatus.RETURNED: "devolvida para correção",
    AtaStatus.APPROVED: "aprovada",
    ReferralStatus.OPEN: "aberto",
    ReferralStatus.ANSWERED: "respondido",
    ReferralStatus.CONCLUDED: "concluído",
    ReferralStatus.DELETED: "excluído",
    MeetingStatus.SCHEDULED: "marcada",
    MeetingStatus.CANCELLED: "cancelada",
}
EXTENSION_WORDS: dict[str, str] = {
    ExtensionStatus.OPEN: "aguardando a coordenação",
    ExtensionStatus.ACCEPTED: "aceito",
    ExtensionStatus.REFUSED: "recusado",
}


@dataclass(frozen=True)
class Answer:
    """An RSVP to a meeting."""

    meeting_at: datetime
    answer: str  # yes | no | maybe
    reason: str | None
    answered_at: datetime


@dataclass(frozen=True)
class Presence:
    meeting_at: datetime
    present: bool
    marked_by: str  # self | coordinator
    sector: str | None


@dataclass(frozen=True)
class DevolutivaGiven:
    code: str
    sector: str
    answered_at: datetime | None
    text: str | None


@dataclass(frozen=True)
class AtaDelivered:
    meeting_at: datetime
    status: str
    delivered_at: datetime | None
    file_name: str | None


@dataclass(frozen=True)
class ReferralMade:
    code: str
    created_at: datetime
    description: str
    status: str


@dataclass(frozen=True)
class ReferralDeleted:
    code: str
    deleted_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class ExtensionAsked:
    code: str
    sector: str
    new_deadline: date
    reason: str
    status: str
    asked_at: datetime


@dataclass(frozen=True)
class CaseAction:
    """Something a person recorded on a case (issue 15): opened, reviewed, closed..."""

    code: str
    kind: str  # bot.rules.cases.EventKind
    at: datetime


@dataclass(frozen=True)
class MeetingConvened:
    starts_at: datetime
    justification: str | None
    urgent: bool
    status: str


@dataclass(frozen=True)
class FlowVersionTouched:
    """A flow document's version the person sent, or approved for the coordination."""

    document: str
    version: int
    sent: bool  # they sent it
    approved: bool  # they approved it
    at: datetime  # when it was sent


@dataclass(frozen=True)
class MyData:
    """Everything stored about a person in one network (and their platform-wide rows)."""

    network: str
    timezone: str
    platform: str
    user_id: str
    name: str
    username: str | None
    sector: str | None
    coordinator: bool
    admin: bool
    since: datetime
    # When they started a private chat with the bot (their private notices), if they did.
    private_chat_since: datetime | None
    # Other ids of theirs on the platform (WhatsApp: the phone JID beside the LID).
    other_ids: tuple[str, ...]
    # The other networks of this platform where the bot knows them.
    other_networks: tuple[str, ...]
    answers: tuple[Answer, ...]
    presences: tuple[Presence, ...]
    devolutivas: tuple[DevolutivaGiven, ...]
    atas: tuple[AtaDelivered, ...]
    referrals: tuple[ReferralMade, ...]
    deleted_referrals: tuple[ReferralDeleted, ...]
    extensions: tuple[ExtensionAsked, ...]
    convened: tuple[MeetingConvened, ...]
    flows: tuple[FlowVersionTouched, ...] = ()
    # What they recorded on cases (opened, reviewed, risk, closed, reopened).
    cases: tuple[CaseAction, ...] = ()

    def answer_counts(self) -> Counter[str]:
        return Counter(a.answer for a in self.answers)

    @property
    def reasons(self) -> int:
        return sum(1 for a in self.answers if a.reason)

    @property
    def present(self) -> int:
        return sum(1 for p in self.presences if p.present)

    @property
    def authored_anything(self) -> bool:
        return any(
            (
                self.answers,
                self.presences,
                self.devolutivas,
                self.atas,
                self.referrals,
                self.deleted_referrals,
                self.extensions,
                self.convened,
                self.flows,
                self.cases,
            )
        )


CASE_WORDS = {
    "opened": "abriu",
    "reviewed": "revisou",
    "risk": "mudou o risco",
    "closed": "encerrou",
    "reopened": "reabriu",
}


def _when(instant: datetime | None, tz: ZoneInfo) -> str | None:
    return instant.astimezone(tz).isoformat(timespec="minutes") if instant else None


def to_json(data: MyData, policy: Retention = DEFAULT) -> dict[str, Any]:
    """The JSON file: every field with a Portuguese key, instants in the network's zone."""
    tz = ZoneInfo(data.timezone)
    return {
        "rede": data.network,
        "fuso_horario": data.timezone,
        "voce": {
            "nome": data.name,
            "usuario": data.username,
            "plataforma": data.platform,
            "id_na_plataforma": data.user_id,
            "outros_ids": list(data.other_ids),
            "setor": data.sector,
            "coordenacao": data.coordinator,
            "administrador_do_grupo": data.admin,
            "no_bot_desde": _when(data.since, tz),
        },
        "conversa_privada_desde": _when(data.private_chat_since, tz),
        "outras_redes": list(data.other_networks),
        "respostas_as_reunioes": [
            {
                "reuniao": _when(a.meeting_at, tz),
                "resposta": ANSWER_WORDS.get(a.answer, a.answer),
                "motivo": a.reason,
                "respondida_em": _when(a.answered_at, tz),
            }
            for a in data.answers
        ],
        "presencas": [
            {
                "reuniao": _when(p.meeting_at, tz),
                "presente": p.present,
                "marcada_por": MARKED_BY_WORDS.get(p.marked_by, p.marked_by),
                "setor": p.sector,
            }
            for p in data.presences
        ],
        "devolutivas_entregues": [
            {
                "encaminhamento": d.code,
                "setor": d.sector,
                "entregue_em": _when(d.answered_at, tz),
                "texto": d.text,
            }
            for d in data.devolutivas
        ],
        "atas_entregues": [
            {
                "reuniao": _when(a.meeting_at, tz),
                "situacao": STATUS_WORDS.get(a.status, a.status),
                "entregue_em": _when(a.delivered_at, tz),
                "arquivo": a.file_name,
            }
            for a in data.atas
        ],
        "encaminhamentos_registrados": [
            {
                "codigo": r.code,
                "registrado_em": _when(r.created_at, tz),
                "descricao": r.description,
                "situacao": STATUS_WORDS.get(r.status, r.status),
            }
            for r in data.referrals
        ],
        "encaminhamentos_excluidos": [
            {"codigo": r.code, "excluido_em": _when(r.deleted_at, tz), "motivo": r.reason}
            for r in data.deleted_referrals
        ],
        "pedidos_de_prazo": [
            {
                "encaminhamento": e.code,
                "setor": e.sector,
                "novo_prazo": e.new_deadline.isoformat(),
                "motivo": e.reason,
                "situacao": EXTENSION_WORDS.get(e.status, e.status),
                "pedido_em": _when(e.asked_at, tz),
            }
            for e in data.extensions
        ],
        "reunioes_convocadas": [
            {
                "reuniao": _when(m.starts_at, tz),
                "justificativa": m.justification,
                "urgente": m.urgent,
                "situacao": STATUS_WORDS.get(m.status, m.status),
            }
            for m in data.convened
        ],
        "versoes_de_fluxos": [
            {
                "documento": f.document,
                "versao": f.version,
                "enviada_por_voce": f.sent,
                "aprovada_por_voce": f.approved,
                "enviada_em": _when(f.at, tz),
            }
            for f in data.flows
        ],
        "casos": [
            {"codigo": c.code, "registro": CASE_WORDS.get(c.kind, c.kind), "em": _when(c.at, tz)}
            for c in data.cases
        ],
        "prazos_de_guarda": {
            "cadastro_respostas_e_motivos": "até você pedir /apagarmeusdados",
            "conversa_privada": (
                "até você apagar seus dados na última Rede em que está nesta plataforma"
            ),
            "presencas_devolutivas_atas_encaminhamentos_convocacoes": (
                "registros da Rede, guardados; depois de /apagarmeusdados ficam sem seu nome, "
                "como 'representante do setor'"
            ),
            "mensagens_enviadas_pelo_bot_dias": policy.deliveries.days,
            "perguntas_e_previas_dias": max(policy.questions.days, policy.drafts.days),
            "respostas_a_enquetes_dias": policy.choices.days,
        },
    }
