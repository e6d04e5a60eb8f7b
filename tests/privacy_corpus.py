"""Texts with and without personal identifiers, for the screen's tests and its benchmark.

Each example is a text and the kinds of identifier a data protection officer would
find in it (an empty set: a text the screen must let through). Kinds are the values
of ``bot.rules.privacy.Identifier``, as strings, so that an older screen can be
measured on the same examples (``bench/bench_privacy.py``).

``HELD_OUT`` was written before the screen was extended (issue 13) and is never tuned
against: the tests do not assert on it; the benchmark reports it apart, as an honest
estimate of how the screen does on text it was not written for. Valid check digits
come from the Receita (CPF), Caixa (NIS) and DATASUS (CNS) rules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    text: str
    kinds: frozenset[str]


def _examples(*pairs: tuple[str, str]) -> tuple[Example, ...]:
    """("text", "cpf name") pairs: the kinds separated by spaces ("" for none)."""
    return tuple(Example(text, frozenset(kinds.split())) for text, kinds in pairs)


HELD_OUT = _examples(
    # --- with personal data -------------------------------------------------------------
    ("Segue o CPF da genitora: 390.533.447-05 para atualizar o cadastro", "cpf"),
    ("cartão do SUS 752 6018 1590 8302", "cns"),
    ("a adolescente Júlia Ferreira dos Santos faltou à escola", "name"),
    ("Luiz Felipe, 4 anos, sem vacina em dia", "name"),
    ("avó (Dona Cida) pediu contato: 27 98812-3344", "name phone"),
    ("RG 12.345.678-9 SSP/ES da mãe", "rg"),
    ("mora na Av. Vitória, 1500, apto 302, Jucutuquara", "address"),
    ("NIS 200.34567.89-0", "nis"),
    ("CPF 111.444.777-00 (conferir, acho que digitei errado)", "cpf"),
    ("família do Sr. Antônio Carlos, residente na Travessa São Pedro 45", "name address"),
    ("gestante Ana Paula, 16 anos, pré-natal atrasado", "name"),
    ("whats da mãe 9 9988-7766", "phone"),
    ("e-mail da responsável: tatiane.rocha85@hotmail.com", "email"),
    ("Kauã 03/05/2019 vacina atrasada", "name"),
    ("NIS: 13456789016", "nis"),
    ("identidade nº 3.456.789 ES", "rg"),
    ("Enzo Gabriel nascido em 2018-07-21", "name birth_date"),
    ("CNS 891 9093 7865 7970", "cns"),
    ("a criança Maria Eduarda está sem matrícula no CMEI", "name"),
    ("Rua Sete de Setembro, 230 - casa dos fundos", "address"),
    ("paciente Roberto Alves Lima, CID F20, faltou ao CAPS", "name"),
    ("contato da família (27) 3322-1100", "phone"),
    ("a menina Sofia (5a) foi acolhida", "name"),
    ("CPF 86213579095", "cpf"),
    ("pai: Marcos Vinícius Pereira", "name"),
    ("endereço: Rua Projetada B, s/n, Bairro Novo Horizonte", "address"),
    ("Maria Clara, nasc. 14/02/2020", "name birth_date"),
    ("o usuário João Batista Moreira compareceu ao CREAS", "name"),
    ("telefone pessoal da assistida 99876-5432", "phone"),
    ("RG: MG-14.567.890", "rg"),
    ("criança Davi Lucca, 2 anos e 3 meses", "name"),
    ("Endereço da avó: Rua Dom Pedro II, nº 87", "address"),
    ("Heloísa 7/11 consulta no CAPSi", "name"),
    ("pis 120.12345.67-2", "nis"),
    ("cpf 245 678 123 60", "cpf"),
    ("o bebê Miguel nasceu dia 02/01", "name birth_date"),
    ("Avenida Jerônimo Monteiro 1000 ap 1204", "address"),
    ("irmão mais velho, Pedro Lucas (14 anos), trabalha na feira", "name"),
    ("contato: (28) 99901-2233, falar com a tia", "phone"),
    ("Cartão Nacional de Saúde: 290817263540003", "cns"),
    # --- institutional text -------------------------------------------------------------
    ("Reunião ordinária em 14/10/2026 às 14h no CRAS Centro", ""),
    ("Ofício nº 045/2026 - SEMAS, encaminhado ao Conselho Tutelar", ""),
    ("Processo SEI 2026.0045.123-5 em análise", ""),
    ("CEP 29.050-280, Vitória/ES", ""),
    ("Lei nº 8.742/1993 (LOAS), art. 20", ""),
    ("Telefone do CREAS: (27) 3381-4455", ""),
    ("Secretaria Municipal de Saúde, Rua Henrique Novaes, 341, Centro", ""),
    ("GT Primeira Infância: próxima reunião 28/10 na Sala da Secretaria de Saúde", ""),
    ("Saúde Mental apresentou o fluxo de atendimento em 12/03", ""),
    ("CASO-2026-014: a criança segue acompanhada pelo PAEFI", ""),
    ("E-2026-031 e E-2026-032 vencem em 20/11", ""),
    ("acesse https://www.gov.br/mds/pt-br/acoes-e-programas/cadastro-unico", ""),
    ("Autos 0004567-89.2026.8.08.0024, 1ª Vara da Infância", ""),
    ("Programa Criança Feliz: 120 famílias acompanhadas", ""),
    ("Serviço de Família Acolhedora recebeu 3 crianças em 2026", ""),
    ("Pastoral da Criança fará a pesagem no sábado, 8h", ""),
    ("Conselho Tutelar plantão: conselho.tutelar@vitoria.es.gov.br", ""),
    ("crianças de 0 a 6 anos em situação de rua ou domicílio improvisado", ""),
    ("Resolução CNAS nº 109/2009, Tipificação Nacional", ""),
    ("Maria (CRAS) enviará a lista até sexta", ""),
    ("Presentes: Helena Souza (Saúde), Carla Mendes (Assistência Social), Bruno Lima (CT)", ""),
    ("Auditório da Prefeitura, Av. Marechal Mascarenhas de Moraes, 1927", ""),
    ("Decreto 11.074/2022 e Portaria MDS nº 897/2023", ""),
    ("RMA de setembro: prazo 10/10/2026", ""),
    ("Conferência Municipal de Assistência Social 15/09/2026", ""),
    ("Censo SUAS 2026: preencher até 30/11", ""),
    ("Sala 2 do CREAS, ramal 2045", ""),
    ("R$ 1.412,00 é o salário mínimo de referência", ""),
    ("ata de 08/12/2026 aprovada por unanimidade", ""),
    ("José Carlos (Educação) apresentou os dados da busca ativa escolar", ""),
    ("CRAS Santa Maria, atendimento de 8h às 17h", ""),
    ("relatório de 2025-2026 com 35 crianças acompanhadas", ""),
    ("CNPJ 27.142.058/0001-26 da Prefeitura", ""),
    ("Escola Estadual São José, Rua Chapot Presvot, 80, Praia do Canto", ""),
    ("Capacitação em 12 e 13/11 no auditório do Fórum", ""),
    ("Dia das Mães 10/05: ação na UBS", ""),
    ("telefone institucional 0800 283 2040", ""),
    ("UBS Maruípe: 3132-5600", ""),
    ("plantão Vitória 24h, sem expediente no feriado de 08/09", ""),
    ("Nota Técnica nº 7/2025/SNAS; Anexo II", ""),
)
