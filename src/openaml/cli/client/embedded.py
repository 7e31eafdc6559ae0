"""A private, temporary OpenAML server for ``openaml quickstart`` when no server is configured.

It is ``openaml serve --port 0`` in a subprocess, exactly as a user would start it, with a fresh data
directory, a freshly generated key pair and the given folders added to ``OPENAML_DATA_ROOTS``. Leaving
the ``with`` block stops it and deletes its data directory.
"""

from __future__ import annotations

import collections
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.session import Connection

START_TIMEOUT_SECONDS = 120.0
STOP_GRACE_SECONDS = 20.0
_LISTENING = "listening on "


class EmbeddedServer:
    """``with EmbeddedServer([folder]) as connection:`` runs a server that may read ``folder``."""

    def __init__(self, data_roots: list[Path], workers: int = 2) -> None:
        self.data_roots = data_roots
        self.workers = workers
        self.data_dir: Path | None = None
        self._process: subprocess.Popen[str] | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=40)
        self._url = ""
        self._listening = threading.Event()

    def __enter__(self) -> Connection:
        self.data_dir = Path(tempfile.mkdtemp(prefix="openaml-quickstart-"))
        access_key_id = "OAMLQS" + secrets.token_hex(7).upper()
        secret_access_key = secrets.token_urlsafe(30)
        environment = {
            **{name: value for name, value in os.environ.items() if not name.startswith("OPENAML_")},
            "OPENAML_ACCESS_KEY_ID": access_key_id,
            "OPENAML_SECRET_ACCESS_KEY": secret_access_key,
            "OPENAML_DATA_ROOTS": os.pathsep.join(str(root) for root in self.data_roots),
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "openaml", "serve", "--host", "127.0.0.1", "--port", "0"]
        command += ["--data-dir", str(self.data_dir), "--workers", str(self.workers)]
        try:
            self._process = subprocess.Popen(
                command,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its own process group: see _stop
            )
            threading.Thread(target=self._read_output, daemon=True).start()
            self._wait_until_healthy()
        except BaseException:
            self._stop()
            raise
        return Connection(self._url, access_key_id, secret_access_key)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop()

    def _read_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self._output.append(line)
            if _LISTENING in line and not self._listening.is_set():
                self._url = line.split(_LISTENING, 1)[1].strip()
                self._listening.set()

    def _failure(self, what: str) -> CliError:
        printed = "".join(self._output).strip()
        return CliError(
            f"The embedded OpenAML server {what}." + (f" Its output:\n{printed}" if printed else ""),
            ExitCode.CONNECTION,
        )

    def _wait_until_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._listening.wait(timeout=0.2):
            if self._process.poll() is not None:
                raise self._failure(f"exited with status {self._process.returncode}")
            if time.monotonic() > deadline:
                raise self._failure(f"did not start within {START_TIMEOUT_SECONDS:.0f} s")
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self._url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                if self._process.poll() is not None:
                    raise self._failure(f"exited with status {self._process.returncode}") from None
                time.sleep(0.2)
        raise self._failure(f"did not become healthy within {START_TIMEOUT_SECONDS:.0f} s")

    def _signal_group(self, signum: int) -> bool:
        """Send ``signum`` to the server and its job workers; ``False`` when none of them is left."""
        assert self._process is not None
        try:
            os.killpg(self._process.pid, signum)
        except ProcessLookupError:
            return False
        return True

    def _stop(self) -> None:
        """Stop the server and every process it started, then delete the data directory.

        The whole process group is signalled, so that the job workers stop even if the server dies
        before it could stop them; whatever is left after the grace period is killed.
        """
        if self._process is not None:
            self._signal_group(signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while self._signal_group(0) and time.monotonic() < deadline:
                self._process.poll()  # reap the server so that it stops counting as alive
                time.sleep(0.1)
            self._signal_group(signal.SIGKILL)
            self._process.wait()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
