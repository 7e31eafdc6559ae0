"""A moto S3 server in a subprocess, for tests that need a real S3 endpoint over HTTP.

Running moto as a separate process (rather than patching botocore in-process) exercises the same HTTP
path as a real S3-compatible server, and works for every client: boto3, s3fs, and the server under test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from types import TracebackType

LOOPBACK = "127.0.0.1"


class S3ServerUnavailable(RuntimeError):
    """The moto server could not be started; the message says why."""


class MotoS3Server:
    """``python -m moto.server`` on a free loopback port; use as a context manager or start()/stop().

    ``start()`` returns the endpoint URL once the server answers HTTP requests. An instance runs the
    server once: ``stop()`` also discards its log.
    """

    def __init__(self, startup_timeout_s: float = 60.0) -> None:
        self._startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        # The server logs every request; a file (unlike an unread pipe) can never fill up and block it.
        # It lives as long as the server, so stop() closes it rather than a with block.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    def start(self) -> str:
        port = _free_loopback_port()
        endpoint = f"http://{LOOPBACK}:{port}"
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
        except OSError as error:
            raise S3ServerUnavailable(f"cannot run moto.server: {error}") from error
        try:
            self._wait_until_answering(endpoint)
        except S3ServerUnavailable:
            self.stop()
            raise
        return endpoint

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._log.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_answering(self, endpoint: str) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise S3ServerUnavailable(
                    f"moto.server exited with status {self._process.returncode}: {self._log_tail()}"
                )
            try:
                with urllib.request.urlopen(endpoint + "/", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # an HTTP error response still means the server is up
            except OSError:
                time.sleep(0.1)
        raise S3ServerUnavailable(
            f"moto.server did not answer at {endpoint} within {self._startup_timeout_s} s: {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port
