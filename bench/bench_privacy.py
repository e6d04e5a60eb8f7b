"""How well the personal-data screen tells the people served from the network's own text.

    .venv/bin/python bench/bench_privacy.py [--documents DIR] [--repeat 5]

Two screens side by side: main's before issue 13 (``bench/_privacy_main.py``, kept as
the baseline) and ``bot/rules/privacy.py`` now. Both read the same examples
(``tests/privacy_corpus.py``): each text with the kinds of identifier a data protection
officer would find in it, or none.

* corpus: the examples the tests hold the new screen to (so its figures there are
  the figures of a screen written for them: the baseline's are the news);
* held-out: examples written before the screen was extended and never tuned against
  (by the same hand, so an optimistic estimate of unseen text);
* generated: texts made from templates, with names (half of them rare), numbers and
  streets drawn at random from lists the screen does not hold
  (``bench/_privacy_generated.py``, seeded);
* documents (``--documents DIR``, optional): every ``*.txt`` of a folder of the
  network's own documents (the project's seeds: a calendar, SUAS letters, an action
  plan, a decree), in which every finding is a false positive; counted per document
  and per 10,000 characters.

Per set: precision and recall over texts (a text refused that should be, or not),
then per kind (a kind found that the example holds). Then the time to screen a text
of 70,000 characters of institutional prose (median of ``--repeat`` runs), for both.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _privacy_main
from bench._privacy_generated import generated
from bot.rules import privacy
from tests.privacy_corpus import CORPUS, HELD_OUT, Example

Screen = Callable[[str], set[str]]


def _kinds_of(find: Callable[[str], Iterable[object]]) -> Screen:
    return lambda text: {str(finding.kind) for finding in find(text)}  # type: ignore[attr-defined]


SCREENS: dict[str, Screen] = {
    "main (before)": _kinds_of(_privacy_main.find_identifiers),
    "now": _kinds_of(privacy.find_identifiers),
}
KINDS = [kind.value for kind in privacy.Identifier]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score(screen: Screen, examples: Sequence[Example]) -> tuple[Score, dict[str, Score]]:
    texts = Score()
    kinds = {kind: Score() for kind in KINDS}
    for example in examples:
        found = screen(example.text)
        if found and example.kinds:
            texts.tp += 1
        elif found:
            texts.fp += 1
        elif example.kinds:
            texts.fn += 1
        for kind in KINDS:
            if kind in found and kind in example.kinds:
                kinds[kind].tp += 1
            elif kind in found:
                kinds[kind].fp += 1
            elif kind in example.kinds:
                kinds[kind].fn += 1
    return texts, kinds


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def report_set(name: str, examples: Sequence[Example]) -> None:
    positives = sum(1 for e in examples if e.kinds)
    print(f"\n## {name}: {len(examples)} texts ({positives} with personal data)\n")
    results = {label: score(screen, examples) for label, screen in SCREENS.items()}
    print("| screen | precision | recall | texts refused wrongly | texts let through wrongly |")
    print("|---|---|---|---|---|")
    for label, (texts, _kinds) in results.items():
        print(
            f"| {label} | {percent(texts.precision)} | {percent(texts.recall)} "
            f"| {texts.fp} | {texts.fn} |"
        )
    print("\nper kind, precision / recall (examples holding it):\n")
    print("| kind | n | " + " | ".join(SCREENS) + " |")
    print("|---|---|" + "---|" * len(SCREENS))
    for kind in KINDS:
        n = sum(1 for e in examples if kind in e.kinds)
        cells = [
            f"{percent(kinds[kind].precision)} / {percent(kinds[kind].recall)}"
            for _texts, kinds in results.values()
        ]
        print(f"| {kind} | {n} | " + " | ".join(cells) + " |")


def report_documents(folder: Path) -> None:
    files = sorted(folder.glob("*.txt"))
    texts = {path.name: path.read_text(encoding="utf-8") for path in files}
    size = sum(len(text) for text in texts.values())
    print(f"\n## documents: {len(files)} files of {folder}, {size:,} characters\n")
    print("| screen | findings (all false) | per 10,000 characters | kinds |")
    print("|---|---|---|---|")
    for label, screen in SCREENS.items():
        found: Counter[str] = Counter()
        for text in texts.values():
            for line in text.splitlines():
                found.update(screen(line))
        total = sum(found.values())
        kinds = ", ".join(f"{kind} {n}" for kind, n in found.most_common()) or "—"
        print(f"| {label} | {total} | {10_000 * total / max(size, 1):.2f} | {kinds} |")


PROSE = (
    "CASO-2025-014: a equipe do CRAS Norte fez visita em 14/03/2026 às 14h30; a família "
    "recebe R$ 600,00 e a escola informou 12,5% de faltas. Processo 0001234-56.2025.8.16.0001, "
    "CEP 80000-000, contato institucional cras@palmital.pr.gov.br. "
)


def report_speed(repeat: int) -> None:
    text = PROSE * 300
    print(f"\n## speed: one text of {len(text):,} characters, median of {repeat} runs\n")
    print("| screen | seconds | characters per second | examples of the corpus per second |")
    print("|---|---|---|---|")
    examples = [e.text for e in (*CORPUS, *HELD_OUT)]
    for label, screen in SCREENS.items():
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            screen(text)
            runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(repeat):
            for example in examples:
                screen(example)
        per_example = (time.perf_counter() - started) / (repeat * len(examples))
        seconds = statistics.median(runs)
        print(f"| {label} | {seconds:.3f} | {len(text) / seconds:,.0f} | {1 / per_example:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=Path, help="a folder of .txt documents (seeds)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"# privacy screen — Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    report_set("corpus", CORPUS)
    report_set("held-out", HELD_OUT)
    report_set("generated", generated())
    if args.documents:
        report_documents(args.documents)
    report_speed(args.repeat)


if __name__ == "__main__":
    main()
