"""Every benchmark still runs, at a toy size (their figures are for the README, never for a
test: nothing here reads a time). A bench left behind by the code stops saying anything
true; bench_setup did, unnoticed, for a while."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    ("bench_setup.py", ["--networks", "3", "--samples", "1"], "SQL statements per confirmation"),
    ("bench_dispatch.py", ["--networks", "3"], "announcements in"),
    ("bench_fanout.py", ["--groups", "40"], "RedebotRateLimiter (new)"),
    ("bench_report.py", [], "total:"),
    ("bench_privacy.py", ["--repeat", "1"], "| now |"),
    ("bench_soak.py", ["--rows", "10", "--kills", "1", "--networks", "2"], "messages lost:      0"),
    (
        "bench_idle.py",
        [
            "--sizes",
            "200,400",
            "--networks",
            "4",
            "--rounds",
            "2",
            "--samples",
            "1",
            "--idle",
            "0.5",
        ],
        "idle wake-ups",
    ),
]
# bench_updates.py is left out: its head-of-line part waits out Telegram's real group limit
# (20 messages a minute) for about a minute, whatever the size asked for.


@pytest.mark.parametrize(("bench", "args", "said"), CASES, ids=[c[0] for c in CASES])
def test_the_bench_runs_and_reports(bench: str, args: list[str], said: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / bench), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert said in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
