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

# The corpus the tests hold the screen to (tests/test_privacy.py): the forms of issue 13's
# probe, the fields it named, and the look-alikes in the network's own text.
CORPUS = _examples(
    # --- CPF ----------------------------------------------------------------------------
    ("CPF da mãe 529.982.247-25", "cpf"),
    ("responsável 52998224725 compareceu", "cpf"),
    ("cpf 111 444 777 35", "cpf"),
    ("CPF 123.456.789-00, conferir", "cpf"),  # a wrong check digit, labelled: still a CPF
    ("C.P.F.: 39053344706", "cpf"),  # labelled, a typo in the last digit
    ("CPF nº 390.533.447", "cpf"),  # the check digits left out
    ("documento 390.533.447-06 da avó", "cpf"),  # the CPF's own layout
    # --- NIS/PIS ------------------------------------------------------------------------
    ("NIS 120.12345.67-8", "nis"),  # the NIS's layout, a wrong check digit
    ("NIS da responsável familiar: 12012345672", "nis"),
    ("PIS/PASEP 170.00123.45-0", "nis"),
    ("nis 17000123451 (acho que errei um número)", "nis"),
    ("inscrita no CadÚnico com NIS 20912345670", "nis"),
    # --- CNS ----------------------------------------------------------------------------
    ("209876543210000", "cns"),
    ("cartão SUS 752 6018 1590 8302", "cns"),
    ("CNS: 816613186091391", "cns"),
    ("Cartão Nacional de Saúde 816 6131 8609 1390", "cns"),  # labelled, a wrong check
    # --- RG -----------------------------------------------------------------------------
    ("RG 12.345.678", "rg"),
    ("RG da criança: 4.567.890-1", "rg"),
    ("identidade nº 1234567 SSP/ES", "rg"),
    ("carteira de identidade 22.333.444-X", "rg"),
    ("doc. 12.345.678-9 apresentado", "rg"),
    ("MG-12.345.678", "rg"),
    # --- phones -------------------------------------------------------------------------
    ("contato da mãe (27) 99988-7766", "phone"),
    ("liga no 41 99999-8888 à tarde", "phone"),
    ("41999998888", "phone"),
    ("+55 27 98765-4321", "phone"),
    ("celular 9 8877-6655", "phone"),
    ("telefone da família: 3333-4444", "phone"),  # a landline next to a person's word
    ("recado com a vizinha 3322-1100", "phone"),
    ("whatsapp da avó 8877-6655", "phone"),
    # --- e-mail -------------------------------------------------------------------------
    ("e-mail da mãe: maria.silva@gmail.com", "email"),
    ("escrever para joao_2010@hotmail.com", "email"),
    # --- dates of birth -----------------------------------------------------------------
    ("criança nascida em 12/03/2015", "birth_date"),
    ("DN: 03/05/2019", "birth_date"),
    ("data de nascimento da criança: 12/03/2015", "birth_date"),
    # --- addresses ----------------------------------------------------------------------
    ("Rua das Flores, 123", "address"),
    ("a família mora na Rua das Flores, 123, perto do CRAS", "address"),
    ("mora na rua das flores, 123", "address"),
    ("Av. Central, nº 450, apto 12", "address"),
    ("Travessa São Pedro 45", "address"),
    ("residente na Rua 7 de Setembro, 230", "address"),
    ("Rua Projetada B, s/n", "address"),
    ("visita domiciliar na Estrada do Contorno, 1200", "address"),
    ("CRAS visitou a família na Rua XV de Novembro, 88", "address"),
    # --- names --------------------------------------------------------------------------
    ("a criança Pedro Henrique Souza", "name"),
    ("a adolescente Ana Beatriz Lima, acompanhada pelo CREAS", "name"),
    ("gestante Jaqueline Nunes, pré-natal em atraso", "name"),
    ("mãe: Maria", "name"),
    ("a mãe da Ana ligou para o CRAS", "name"),
    ("família Silva recebe o BPC", "name"),
    ("filho Davi, sem vaga no CMEI", "name"),
    ("os irmãos Pedro e Ana faltaram", "name"),
    ("família do Sr. Antônio Carlos", "name"),
    ("a criança PEDRO HENRIQUE SOUZA", "name"),
    ("Maria 12/03/2015 consulta", "name"),
    ("Pedro, 7 anos", "name"),
    ("João (12 anos) fora da escola", "name"),
    ("Ana Clara de 3 anos", "name"),
    ("Heloísa 7/11 consulta no CAPSi", "name"),
    ("Maria Clara, nasc. 14/02/2020", "name birth_date"),
    # --- several kinds ------------------------------------------------------------------
    (
        "a criança Pedro Henrique Souza, CPF 529.982.247-25, mora na Rua das Flores, 123; "
        "contato da mãe (27) 99988-7766",
        "name cpf address phone",
    ),
    # --- institutional text: none of it is personal data -------------------------------
    ("CASO-2026-014: avaliação de saúde mental e retorno à Rede", ""),
    ("CASO-2026-014: a criança segue acompanhada pelo PAEFI", ""),
    ("E-2026-031 e E-2026-0314 foram encaminhados", ""),
    ("Reunião ordinária em 14/10/2026 às 14h no CRAS", ""),
    ("reunião 14/03 às 14h no CRAS, sala 2", ""),
    ("Aos 14 dias de outubro de 2026, reuniram-se os setores da Rede", ""),
    ("Autos nº 0001234-56.2025.8.16.0001, Vara da Infância", ""),
    ("Processo SEI 23000.012345/2025-11", ""),
    ("Ofício nº 045/2026 - SEMAS", ""),
    ("ofício nº 2345-6789", ""),
    ("CEP 29.057-530", ""),
    ("CEP 80000-000", ""),
    ("ECA, Lei 8.069/1990, art. 98", ""),
    ("Lei nº 13.431/2017 e Resolução CNAS nº 109/2009", ""),
    ("CNPJ 27.142.058/0001-26", ""),
    ("https://www.gov.br/mds/pt-br/acoes-e-programas/cadastro-unico", ""),
    ("https://aplicacoes.mds.gov.br/sagirmps/censosuas/2026", ""),
    ("contato institucional cras@palmital.pr.gov.br", ""),
    ("Telefone: (27) 3636-6850", ""),  # the letterhead of seed 001
    ("CEP 29.057-530. Telefone: (27) 3636-6850", ""),
    ("Telefone do CREAS: (27) 3381-4455", ""),
    ("UBS Maruípe: 3132-5600, ramal 2045", ""),
    ("Conselho Tutelar", ""),
    ("Saúde Mental", ""),
    ("Pastoral da Criança", ""),
    ("Sala da Secretaria de Saúde", ""),
    ("Auditório do CRAS Centro", ""),
    ("CRAS Centro, Rua das Flores, 123", ""),
    ("Secretaria Municipal de Saúde, Rua Henrique Novaes, 341, Centro", ""),
    ("Rua Doutor João Carlos de Souza, nº 107, sala 1301, Ed. Green Tower", ""),
    ("Escola Estadual São José, Rua Chapot Presvot, 80", ""),
    ("GT Infância | Saúde, CRAS | quinzenal quarta 14h | CRAS", ""),
    ("Fortalecimento do SIPIA", ""),
    ("1. Articulação; Elaborar o plano; Maio; CRAS", ""),
    ("Programa Criança Feliz: 120 famílias acompanhadas", ""),
    ("Serviço de Família Acolhedora", ""),
    ("Programa Mãe Coruja", ""),
    ("Estatuto da Criança e do Adolescente (ECA)", ""),
    ("ESTATUTO DA CRIANÇA E DO ADOLESCENTE", ""),
    ("Conselho Municipal dos Direitos da Criança e do Adolescente", ""),
    ("crianças de 0 a 6 anos em situação de rua", ""),
    ("população em situação de rua em 12 bairros", ""),
    ("a família, Pedro do CREAS fará a visita", ""),
    ("Maria (CRAS) enviará a lista até sexta", ""),
    ("Presentes: Saúde (Ana, Bruno); CRAS (Carla); Conselho Tutelar", ""),
    ("Presentes: Helena Souza (Saúde), Carla Mendes (Assistência Social)", ""),
    ("CMEI Maria Ortiz 12/03", ""),
    ("CRAS Santa Maria 12/03/2026", ""),
    ("reunião regional em Vitória 12/03", ""),
    ("Conferência Nacional 12/03/2026", ""),
    ("Dia das Mães 10/05: ação na UBS", ""),
    ("Praça da Matriz às 14h", ""),
    ("a certidão de nascimento até 14/03/2026", ""),
    ("R$ 1.412,00 por mês", ""),
    ("planejamento 2025-2026", ""),
    ("versão 2.0.1, 100 famílias, 35 crianças", ""),
    ("RMA | mensal dia 10 | CRAS, CREAS | https://aplicacoes.mds.gov.br/sagi/rma", ""),
)
