"""A live OpenAML server for tests: ``openaml serve --port 0`` in a subprocess, as a user starts it."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ACCESS_KEY_ID = "OAMLTESTKEY000000001"
SECRET_ACCESS_KEY = "test-secret-access-key-0123456789"


@dataclass
class LiveServer:
    """A running server process and how to reach it."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    scratch: Path | None = None
    #: Sign with the fixed test key pair (False: let the server generate one, as on a fresh install).
    fixed_credentials: bool = True
    s3_endpoint: str | None = None
    #: More ``openaml serve`` options (e.g. ``("--dask-local", "1")``).
    extra_args: tuple[str, ...] = ()
    url: str = ""
    output: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 240.0) -> LiveServer:
        credentials = (
            {"OPENAML_ACCESS_KEY_ID": ACCESS_KEY_ID, "OPENAML_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}
            if self.fixed_credentials
            else {}
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OPENAML_")},
            **credentials,
            "OPENAML_JOB_POLL_SECONDS": "0.1",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openaml",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                str(self.data_dir),
                "--workers",
                str(self.workers),
                *self.extra_args,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if "listening on " in line:
                self.url = line.split("listening on ", 1)[1].strip()
                break
        if not self.url:
            self.stop()
            raise RuntimeError("the server did not start:\n" + "".join(self.output))
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server never became healthy:\n" + "".join(self.output))

    def _pump(self, lines: queue.Queue[str]) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            lines.put(line)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(
        self,
        *,
        secret: str = SECRET_ACCESS_KEY,
        access_key: str = ACCESS_KEY_ID,
        config: Mapping[str, Any] | None = None,
    ) -> Any:
        return boto3.client(
            "machinelearning",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **(config or {})),
        )
