"""Start Campus processes for tests and wait until they answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_process(
    args: list[str], env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    log_file = log_path.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "services.runner", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log_path: Path, seconds: float = 180
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_tail = log_path.read_text()[-3000:]
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log_tail}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{url} did not respond within {seconds} s:\n{log_path.read_text()[-3000:]}"
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
