"""How the code is shaped: function lengths and complexity per folder, imports between layers.

    .venv/bin/python scripts/code_metrics.py [--json]

- function lengths: lines of every function and method body (AST, decorators and
  docstrings excluded), as median / p90 / max per top-level folder, and the longest ones;
- complexity: radon's cyclomatic complexity, mean per folder and the highest;
- imports: edges between layers (``bot/`` core, ``bot/channels``, ``handlers``, ``storage``,
  the entry point), counted per importing module, and handler → handler edges.

Rerun it before and after a refactoring and compare (issue 11).
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("bot", "handlers", "storage")
# Handler modules that are no feature (they register nothing): shared presentation.
SHARED_HANDLERS = {"handlers.common", "handlers.meeting_messages"}


def _modules() -> list[Path]:
    files = []
    for folder in FOLDERS:
        files.extend(
            p for p in sorted((ROOT / folder).rglob("*.py")) if "migrations" not in p.parts
        )
    return files


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    if not body:
        return 0
    end = max(getattr(n, "end_lineno", n.lineno) or n.lineno for n in body)
    return end - body[0].lineno + 1


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer(module: str) -> str:
    if module in {"bot.__main__", "bot.runtime", "bot.wiring"}:
        return "entry"
    if module.startswith("bot.channels"):
        return "channels"
    if module.startswith("bot"):
        return "bot"
    if module.startswith("handlers"):
        return "handlers"
    if module.startswith("storage"):
        return "storage"
    return "other"


def _imports(tree: ast.Module, module: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, node.module])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {f for f in found if f.split(".")[0] in FOLDERS}


def measure() -> dict[str, object]:
    lengths: dict[str, list[int]] = defaultdict(list)
    longest: list[tuple[int, str]] = []
    complexity: dict[str, list[int]] = defaultdict(list)
    highest: list[tuple[int, str]] = []
    edges: Counter[str] = Counter()
    feature_edges: set[tuple[str, str]] = set()
    known = {_module_name(p) for p in _modules()}
    for path in _modules():
        source = path.read_text()
        tree = ast.parse(source)
        module = _module_name(path)
        folder = path.relative_to(ROOT).parts[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = _body_lines(node)
                lengths[folder].append(size)
                longest.append((size, f"{module}.{node.name}"))
        for block in cc_visit(source):
            complexity[folder].append(block.complexity)
            highest.append((block.complexity, f"{module}.{block.name}"))
        targets = {t for t in _imports(tree, module) if t in known}
        for target in targets:
            if target == module:
                continue
            a, b = layer(module), layer(target)
            if a != b:
                edges[f"{a} -> {b}"] += 1
            if a == b == "handlers" and target not in SHARED_HANDLERS:
                feature_edges.add((module, target))

    def summary(values: list[int]) -> dict[str, float]:
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))] if ordered else 0
        return {
            "functions": len(ordered),
            "median": statistics.median(ordered) if ordered else 0,
            "p90": p90,
            "max": ordered[-1] if ordered else 0,
        }

    return {
        "function_lines": {f: summary(v) for f, v in sorted(lengths.items())},
        "longest": [f"{n} lines: {name}" for n, name in sorted(longest, reverse=True)[:8]],
        "complexity_mean": {
            f: round(statistics.mean(v), 2) for f, v in sorted(complexity.items()) if v
        },
        "most_complex": [f"{n}: {name}" for n, name in sorted(highest, reverse=True)[:8]],
        "layer_edges": dict(sorted(edges.items())),
        "handler_to_handler": sorted(f"{a} -> {b}" for a, b in feature_edges),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    figures = measure()
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    for key, value in figures.items():
        print(f"{key}:")
        if isinstance(value, dict):
            for name, item in value.items():
                print(f"  {name}: {item}")
        else:
            for item in value:  # type: ignore[attr-defined]
                print(f"  {item}")


if __name__ == "__main__":
    main()
