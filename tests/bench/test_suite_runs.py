"""The benchmark command runs end to end at its tiny size and writes its page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_tiny_run_writes_page(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--size",
            "tiny",
            "--only",
            "pdf,rebuild",
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    page = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    results = json.loads((tmp_path / "bench" / "results.json").read_text())
    assert sorted(results) == ["pdf", "rebuild"]
    assert "| agreement, median |" in page
    assert "| rebuild, events per second |" in page
    assert "command: `python -m bench --size tiny --only pdf,rebuild" in page
    assert "Not measured yet: run `python -m bench --only gateway`" in page


def test_write_only_rewrites_page(tmp_path: Path) -> None:
    results = tmp_path / "bench" / "results.json"
    results.parent.mkdir()
    results.write_text("{}", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--write-only", "--output", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    page = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    assert page.startswith("# Benchmarks")
    assert "Not measured yet: run `python -m bench --only pdf`" in page


def test_unknown_workload_is_rejected() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "pdf,speed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert "unknown workload speed" in completed.stderr
