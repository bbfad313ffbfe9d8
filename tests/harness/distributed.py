"""Campus in the distributed mode for tests: one process per service.

The four services and the gateway run as subprocesses on Kafka, PostgreSQL
and an SMTP server started in the test process. Each run gets its own
databases, Kafka namespace and secret, so runs that share one broker and one
PostgreSQL server never see each other's data.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.harness.campus import Email, run_runner
from tests.harness.processes import ROOT, free_port, start_process, wait_until_up
from tests.harness.s3 import MotoServer
from tests.harness.seed import write_test_seed

SERVICES = ("missions", "documents", "notifications", "evaluations")
DEFAULT_KAFKA = "127.0.0.1:9092"


def check_kafka(bootstrap: str) -> None:
    """Raise RuntimeError unless a broker accepts TCP connections at `bootstrap`."""
    host, _, port = bootstrap.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return
    except OSError as error:
        raise RuntimeError(
            f"Kafka is not running at {bootstrap} ({error}): "
            "start it with scripts/kafka.sh start (make test does)"
        ) from error


def run_postgres_script(*args: str) -> str:
    """Run scripts/postgres.py with `args` and return its standard output."""
    command = [sys.executable, str(ROOT / "scripts" / "postgres.py"), *args]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"scripts/postgres.py {' '.join(args)} failed with exit code "
            f"{result.returncode}:\n{result.stderr}"
        )
    return result.stdout


def parse_email(content: bytes) -> Email:
    """Convert a received message to the embedded mailbox's shape."""
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    # The notifications service sends Message-ID <EMAIL_ID@campus>, so the
    # local part is the same id as the embedded mailbox's.
    message_id = str(message.get("Message-ID", "")).strip().strip("<>")
    return {
        "id": message_id.split("@")[0],
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")),
        "text": _body(message, "plain"),
        "html": _body(message, "html"),
        "sent_at": dt.datetime.now(dt.UTC).isoformat(),
    }


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    content: str = part.get_content()
    return content


class MailCatcher:
    """aiosmtpd handler that stores every message it receives, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._emails: list[Email] = []

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        received = parse_email(content)
        with self._lock:
            self._emails.append(received)
        return "250 Message accepted for delivery"

    def newest_first(self) -> list[Email]:
        with self._lock:
            return list(reversed(self._emails))


class DistributedCampus:
    """The four services and the gateway as separate processes, on fresh data."""

    mode = "distributed"

    def __init__(self, work_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.work_dir = work_dir
        self.extra_env = extra_env or {}
        self.run_id = f"r{secrets.token_hex(4)}"
        self._processes: list[subprocess.Popen[bytes]] = []
        self._launched: dict[
            str, tuple[list[str], dict[str, str], subprocess.Popen[bytes]]
        ] = {}
        self._s3: MotoServer | None = None
        self._mail = MailCatcher()
        self._smtp: Controller | None = None
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        bootstrap = os.environ.get("CAMPUS_TEST_KAFKA", DEFAULT_KAFKA)
        check_kafka(bootstrap)
        # The server is left running after this run, and the test command stops it.
        run_postgres_script("start")
        databases = [f"{self.run_id}_{name}" for name in (*SERVICES, "gateway", "keys")]
        run_postgres_script("createdb", *databases)
        database_url = run_postgres_script("url", f"{self.run_id}_{{service}}").strip()
        self._smtp = Controller(self._mail, hostname="127.0.0.1", port=free_port())
        self._smtp.start()
        # Files go to an S3-compatible bucket, as in production.
        self._s3 = MotoServer()

        service_ports = {name: free_port() for name in SERVICES}
        gateway_port = free_port()
        self.base_url = f"http://127.0.0.1:{gateway_port}"
        service_urls = {
            name: f"http://127.0.0.1:{port}" for name, port in service_ports.items()
        }
        env = {
            "CAMPUS_MODE": "distributed",
            "CAMPUS_DATABASE_URL": database_url,
            "CAMPUS_KAFKA_BOOTSTRAP": bootstrap,
            "CAMPUS_KAFKA_NAMESPACE": self.run_id,
            "CAMPUS_SMTP_HOST": "127.0.0.1",
            "CAMPUS_SMTP_PORT": str(self._smtp.port),
            "CAMPUS_DEV_LOGIN": "true",
            "CAMPUS_PUBLIC_URL": self.base_url,
            "CAMPUS_SECRET_KEY": secrets.token_hex(32),
            "CAMPUS_SERVICE_URLS": json.dumps(service_urls),
            "CAMPUS_SEED_FILE": str(write_test_seed(self.work_dir)),
            "CAMPUS_SMTP_RETRY_SECONDS": "0.5",
            "CAMPUS_S3_ENDPOINT_URL": self._s3.url,
            "CAMPUS_S3_BUCKET": f"campus-{self.run_id}",
            "CAMPUS_S3_ACCESS_KEY": "campus-test",
            "CAMPUS_S3_SECRET_KEY": "campus-test-secret",
            **self.extra_env,
        }
        self.database_url = database_url
        self.env = {**env, "CAMPUS_DATA_DIR": str(self.work_dir / "commands")}
        health_urls = {name: f"{service_urls[name]}/health/ready" for name in SERVICES}
        health_urls["gateway"] = f"{self.base_url}/health/live"
        # A second notifications replica in the same consumer group and database,
        # which the gateway does not call: each email must still go out once.
        replica_port = free_port()
        health_urls["notifications-2"] = f"http://127.0.0.1:{replica_port}/health/ready"
        for name, port in service_ports.items():
            self._launch(name, ["service", name, "--port", str(port)], env)
        self._launch("gateway", ["gateway", "--port", str(gateway_port)], env)
        replica = ["service", "notifications", "--port", str(replica_port)]
        self._launch("notifications-2", replica, env)
        # Every process starts before the first wait, so that their start-ups,
        # mostly spent connecting to Kafka, overlap.
        for name, process in zip(health_urls, self._processes, strict=True):
            wait_until_up(health_urls[name], process, self._log_path(name), seconds=180)
        self.health_urls = health_urls

    def _log_path(self, name: str) -> Path:
        return self.work_dir / f"{name}.log"

    def _launch(self, name: str, args: list[str], env: dict[str, str]) -> None:
        data_dir = self.work_dir / name
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**env, "CAMPUS_DATA_DIR": str(data_dir)}
        process = start_process(args, env, self._log_path(name))
        self._processes.append(process)
        self._launched[name] = (args, env, process)

    def restart(self, name: str, health_url: str) -> None:
        """Stop one process with SIGTERM and start it again with the same settings."""
        args, env, process = self._launched[name]
        stop_processes([process])
        log_path = self.work_dir / f"{name}.restarted.log"
        started = start_process(args, env, log_path)
        self._processes[self._processes.index(process)] = started
        self._launched[name] = (args, env, started)
        wait_until_up(health_url, started, log_path)

    def kill(self, name: str) -> None:
        """Stop one process with SIGKILL, as a crash or an out-of-memory kill would."""
        _, _, process = self._launched[name]
        process.kill()
        process.wait()

    def start_again(self, name: str, ready: bool = True) -> None:
        """Start a stopped process with its settings and wait until it is ready.

        With `ready` False, wait only until it answers `/health/live`, for a
        service started while Kafka or PostgreSQL is down.
        """
        args, env, process = self._launched[name]
        assert process.poll() is not None, f"{name} is still running"
        restarts = sum(1 for path in self.work_dir.glob(f"{name}.restarted*.log"))
        log_path = self.work_dir / f"{name}.restarted-{restarts + 1}.log"
        started = start_process(args, env, log_path)
        self._processes[self._processes.index(process)] = started
        self._launched[name] = (args, env, started)
        url = self.health_urls[name]
        if not ready:
            url = url.replace("/health/ready", "/health/live")
        # A process started during or after an outage reconnects first.
        wait_until_up(url, started, log_path, seconds=180)

    def database_url_of(self, service: str) -> str:
        """Return the PostgreSQL URI of one service's database in this run."""
        return self.database_url.replace("{service}", service)

    @property
    def kafka_namespace(self) -> str:
        return self.run_id

    def mailbox(self) -> list[Email]:
        return self._mail.newest_first()

    def stop_smtp(self) -> None:
        """Take the SMTP server down; emails wait in the queue meanwhile."""
        assert self._smtp is not None
        self._smtp_port = self._smtp.port
        self._smtp.stop()
        self._smtp = None

    def start_smtp(self) -> None:
        """Bring the SMTP server back on the port the services were given."""
        self._smtp = Controller(self._mail, hostname="127.0.0.1", port=self._smtp_port)
        self._smtp.start()

    def run_command(self, *args: str) -> str:
        return run_runner(self.env, *args)

    def stop(self) -> None:
        """Stop the processes and the SMTP server, keeping the databases and topics."""
        stop_processes(self._processes)
        self._processes = []
        if self._s3 is not None:
            self._s3.stop()
            self._s3 = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None


def stop_processes(
    processes: list[subprocess.Popen[bytes]], seconds: float = 15
) -> None:
    """Send SIGTERM to every process, then kill those still running after `seconds`."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + seconds
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
