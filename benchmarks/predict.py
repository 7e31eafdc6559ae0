"""Benchmark: real-time ``Predict`` through the running service, against the bare in-process predict.

Starts ``openaml serve --port 0`` with ``OPENAML_HTTP_WORKERS`` serving processes (``--http-workers``,
default 2) on a temporary data directory and, as a user would through boto3, creates datasources for
the HAR sample (561 features, 6 classes) and titanic (binary), trains on each an AutoML model
(``openaml.timeBudgetSeconds`` = ``--budget``) and an SGD model (Amazon ML's mode), and creates their
real-time endpoints. Then, per model:

* ``bare`` — the service's own saved model loaded in this process and
  :class:`~openaml.engine.predictors.RecordPredictor` ``.predict`` on one record: the median over the
  sample records (the same records the load uses);
* ``throughput`` — a separate load-generating process (``wrk`` with a Lua script when installed, else
  Python processes) replays SigV4-signed ``Predict`` requests of the sample records (a signature
  stays valid 15 minutes) over keep-alive loopback connections, each connection sending its next
  request when the answer arrives, for ``--seconds`` at each concurrency of ``--concurrency``; the
  best requests/s is kept;
* ``bare floor`` — the same requests from the same load generator against a minimal Starlette
  endpoint around the same saved models (``benchmarks/predict_bare_floor.py``: JSON body in,
  ``RecordPredictor.predict``, JSON out; no SigV4, no validation), with as many processes, over the
  same concurrencies; ``ratio to bare floor`` is OpenAML's best requests/s over the floor's best;
* ``latency`` — the same requests at half that rate: from ``wrk`` connections that pause a few
  milliseconds between requests (the pause and the number of connections are adjusted until the
  rate is within 10%), else from a Python process sending on schedule whatever the answers' delay
  (open loop); p50 and p99 latency from sending a request to its whole answer, and the rate reached.

Every run is bounded in time (``--seconds``) and in count (``--max-requests``); any non-200 answer,
socket error or timeout counts as an error and must stay at zero. ``server/bare`` is the p50 latency at
half load over the bare predict time: what the service adds on top of the model.

Targets on a 2-core machine: at least 2,000 requests/s and 0.65× the bare floor, p99 at most 10 ms at
half load, no errors.

Usage::

    .venv/bin/python benchmarks/predict.py
    .venv/bin/python benchmarks/predict.py --budget 60 --models titanic-automl,har-sgd --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import uvloop
from service import (  # the folder of this script is on sys.path
    DATASETS,
    DEFAULT_DATASETS_DIR,
    TARGET,
    client,
    listening_url,
    running_server,
    sample_records,
    sign,
    train_models,
)
from threadpoolctl import threadpool_limits

from openaml.engine.data.schema import parse_data_schema
from openaml.engine.models import load_model
from openaml.engine.predictors import RecordPredictor

REQUEST_SEPARATOR = b"\n--openaml-benchmark-request--\n"
SIGNATURE_LIFETIME_SECONDS = 15 * 60
#: Connections of a paced Python run (enough that requests seldom wait for a free one), and the
#: most requests per second one Python process sends on time.
PACED_CONNECTIONS = 32
PACED_RATE_PER_PROCESS = 4_000
#: Paced wrk runs: requests per second per connection to start from, the most connections, how
#: many attempts to reach the rate and how close (relative) is close enough.
PACED_RATE_PER_CONNECTION = 300
PACED_MAX_CONNECTIONS = 32
PACING_ATTEMPTS = 3
PACING_TOLERANCE = 0.1


MODES = ("automl", "sgd")


@dataclass(frozen=True)
class LoadResult:
    """One load run: requests answered, errors, the seconds it took and the latencies in ms."""

    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


# --- The service ------------------------------------------------------------------------------------


@contextmanager
def running_bare_floor(model_dirs: dict[str, Path], workers: int) -> Iterator[str]:
    """The bare floor server (``predict_bare_floor.py``) over the same saved models; yields its URL
    once every model answered."""
    script = Path(__file__).resolve().parent / "predict_bare_floor.py"
    models = json.dumps({model_id: str(folder) for model_id, folder in model_dirs.items()})
    process = subprocess.Popen(
        [sys.executable, str(script), "--workers", str(workers), models],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = listening_url(process, "the bare floor server")
        deadline = time.monotonic() + 120
        for model_id in model_dirs:
            body = json.dumps({"MLModelId": model_id, "Record": {}}).encode()
            while True:
                try:
                    with urllib.request.urlopen(urllib.request.Request(url + "/", body), timeout=5):
                        pass  # an empty record is refused (500 here): any answer shows the model loaded
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
        time.sleep(5)  # the other processes finish loading
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def bare_predict(model_dir: Path, records: Sequence[dict[str, str]]) -> tuple[str, float]:
    """The model's algorithm, and the median ms of one record's ``RecordPredictor.predict`` here
    (one thread per numeric library, as in the serving processes)."""
    model, metadata = load_model(model_dir)
    threadpool_limits(limits=1)
    predictor = RecordPredictor(model, parse_data_schema(json.dumps(metadata["schema"])))
    for record in records[:20]:
        predictor.predict([record])
    times = []
    for _ in range(3):
        for record in records:
            started = time.perf_counter()
            predictor.predict([record])
            times.append(time.perf_counter() - started)
    return model.algorithm, statistics.median(times) * 1e3


# --- Signed requests --------------------------------------------------------------------------------


def signed_requests(url: str, model_id: str, records: Sequence[dict[str, str]]) -> list[bytes]:
    """Complete HTTP/1.1 ``Predict`` requests (keep-alive), SigV4-signed as boto3 signs them."""
    host = url.split("://", 1)[1]
    requests = []
    for record in records:
        body = json.dumps({"MLModelId": model_id, "Record": record, "PredictEndpoint": url}).encode()
        signed = sign(
            "POST", url + "/", body, {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET}
        )
        headers = {"Host": host, **signed, "Content-Length": str(len(body))}
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        requests.append(f"POST / HTTP/1.1\r\n{head}\r\n".encode() + body)
    return requests


# --- Load generation: wrk ---------------------------------------------------------------------------

_WRK_SCRIPT = """
local requests, index, sent, limit = {}, 0, 0, 0
function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local separator, start = args[2], 1
  while true do
    local first, last = string.find(data, separator, start, true)
    if not first then
      table.insert(requests, string.sub(data, start))
      break
    end
    table.insert(requests, string.sub(data, start, first - 1))
    start = last + 1
  end
  limit = tonumber(args[3])
  index = math.random(#requests) - 1
end
function request()
  sent = sent + 1
  if sent > limit then wrk.thread:stop() end
  index = index % #requests + 1
  return requests[index]
end
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "errors": %d, "p50": %f, "p99": %f}\\n',
    summary.requests, summary.duration / 1e6,
    errors.connect + errors.read + errors.write + errors.status + errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
"""


def run_wrk(
    url: str, requests_file: Path, connections: int, seconds: int, max_requests: int, pause_ms: int = 0
) -> LoadResult:
    """Requests replayed by ``wrk`` over ``connections`` keep-alive connections, each sending its next
    request when the answer arrives (and ``pause_ms`` later)."""
    pause = f"function delay() return {pause_ms} end\n" if pause_ms else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT + pause)
    separator = REQUEST_SEPARATOR.decode()
    command = [
        "wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
        "-s", script.name, url, "--", str(requests_file), separator, str(max_requests),
    ]  # fmt: skip
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(script.name)
    lines = [line for line in output.stdout.splitlines() if line.startswith("RESULT ")]
    if output.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed: {output.stdout}{output.stderr}")
    line = lines[0]
    result = json.loads(line.removeprefix("RESULT "))
    return LoadResult(result["requests"], result["errors"], result["seconds"], result["p50"], result["p99"])


def paced_wrk(
    url: str, requests_file: Path, rate: float, service_ms: float, seconds: int, max_requests: int
) -> LoadResult:
    """About ``rate`` requests per second from ``wrk`` connections that pause between requests.

    A connection sends one request per pause plus answer time (``service_ms`` at first, then what
    the previous attempt showed), so the pause and the number of connections follow from the rate;
    the pause is a whole number of milliseconds, so a few attempts home in on the rate.
    """
    connections = min(PACED_MAX_CONNECTIONS, max(2, round(rate / PACED_RATE_PER_CONNECTION)))
    result = LoadResult(0, 0, 0.0, math.nan, math.nan)
    for _ in range(PACING_ATTEMPTS):
        pause_ms = round(connections * 1e3 / rate - service_ms)
        if pause_ms < 1:
            pause_ms = 1
            connections = min(PACED_MAX_CONNECTIONS, math.ceil(rate * (1 + service_ms) / 1e3))
        result = run_wrk(url, requests_file, connections, seconds, max_requests, pause_ms)
        if result.rate == 0 or abs(result.rate - rate) <= PACING_TOLERANCE * rate:
            break
        service_ms = max(0.0, connections * 1e3 / result.rate - pause_ms)
    return result


# --- Load generation: Python processes (paced runs, and throughput when wrk is not installed) ------


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: one request at a time, the answer read to its end."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._received = bytearray()
        self._answer_end: int | None = None
        self._succeeded = False
        self._waiter: asyncio.Future[bool] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not registered subclasses

    def data_received(self, data: bytes) -> None:
        self._received += data
        if self._answer_end is None:
            head_end = self._received.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self._received[:head_end])
            length = re.search(rb"(?im)^content-length: *(\d+)", head)
            self._answer_end = head_end + 4 + (int(length.group(1)) if length else 0)
            self._succeeded = head.startswith(b"HTTP/1.1 200 ")
        if len(self._received) >= self._answer_end and self._waiter is not None:
            del self._received[: self._answer_end]
            self._answer_end = None
            self._waiter.set_result(self._succeeded)

    def connection_lost(self, error: Exception | None) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("the server closed the connection"))

    async def send(self, request: bytes) -> bool:
        """Whether the answer to ``request`` was a 200."""
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _load(
    address: tuple[str, int],
    requests: Sequence[bytes],
    connections: int,
    rate: float | None,
    seconds: float,
    max_requests: int,
    offset: int,
) -> tuple[list[float], int, float]:
    """Requests over ``connections`` keep-alive connections: each connection in turn when ``rate`` is
    None, else sent at ``rate`` per second whatever the answers' delay (open loop). A latency counts
    from sending to the whole answer. Returns the latencies in ms, the errors and the seconds taken."""
    loop = asyncio.get_running_loop()
    clock = time.perf_counter  # uvloop's loop.time() only counts whole milliseconds

    async def connect() -> _Connection:
        _, connection = await loop.create_connection(_Connection, *address)
        return connection

    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await connect())
    latencies: list[float] = []
    errors = 0

    async def send(index: int) -> None:
        nonlocal errors
        connection = await pool.get()
        sent = clock()
        try:
            errors += not await connection.send(requests[(offset + index) % len(requests)])
            latencies.append((clock() - sent) * 1e3)
        except OSError:
            errors += 1
            connection = await connect()
        finally:
            pool.put_nowait(connection)

    started = clock()
    if rate is None:
        counter = itertools.count()

        async def connection_loop() -> None:
            while clock() - started < seconds and (index := next(counter)) < max_requests:
                await send(index)

        await asyncio.gather(*(connection_loop() for _ in range(connections)))
    else:
        sending = []
        for index in range(min(max_requests, int(rate * seconds))):
            due = started + index / rate
            if due > clock():
                await asyncio.sleep(due - clock())
            sending.append(asyncio.ensure_future(send(index)))
        await asyncio.gather(*sending)
    duration = clock() - started
    while not pool.empty():
        pool.get_nowait().close()
    return latencies, errors, duration


def _load_process(arguments: tuple[Any, ...]) -> tuple[list[float], int, float]:
    uvloop.install()  # the fastest event loop at hand (uvicorn's): less client time per request
    return asyncio.run(_load(*arguments))


def run_python(
    url: str,
    requests: Sequence[bytes],
    connections: int,
    seconds: int,
    max_requests: int,
    rate: float | None = None,
) -> LoadResult:
    """Load from Python processes: a closed loop over ``connections`` connections (two processes
    sharing them), or ``rate`` requests per second (one process per 4,000 requests/s)."""
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    processes = 2 if rate is None else max(1, math.ceil(rate / PACED_RATE_PER_PROCESS))
    jobs = [
        (
            (host, int(port)),
            requests,
            max(1, connections // processes),
            None if rate is None else rate / processes,
            seconds,
            max_requests // processes,
            index * 7,
        )
        for index in range(processes)
    ]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        outcomes = list(pool.map(_load_process, jobs))
    latencies = sorted(latency for latency_list, _, _ in outcomes for latency in latency_list)
    duration = max(seconds_taken for _, _, seconds_taken in outcomes)
    errors = sum(error_count for _, error_count, _ in outcomes)
    if not latencies:
        return LoadResult(0, errors, duration, math.nan, math.nan)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    return LoadResult(len(latencies), errors, duration, statistics.median(latencies), p99)


# --- The measurement --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelResult:
    """What one model measured: bare predict, the throughput sweep's best, the half-load run, and the
    bare floor's best throughput with the same requests."""

    name: str
    algorithm: str
    bare_ms: float
    concurrency: int
    throughput: LoadResult
    half_load: LoadResult
    floor_concurrency: int
    floor: LoadResult
    errors: int

    @property
    def floor_ratio(self) -> float:
        """OpenAML's best requests/s over the bare floor's."""
        return self.throughput.rate / self.floor.rate if self.floor.rate > 0 else math.nan


def measure_model(
    name: str,
    url: str,
    floor_url: str,
    args: argparse.Namespace,
    model_dir: Path,
    records: Sequence[dict[str, str]],
) -> ModelResult:
    requests = signed_requests(url, name, records)
    signed_at = time.monotonic()
    with tempfile.NamedTemporaryFile("wb", suffix=".http", delete=False) as file:
        file.write(REQUEST_SEPARATOR.join(requests))
    use_wrk = shutil.which("wrk") is not None and not args.python_load

    def check_signatures() -> None:
        if time.monotonic() - signed_at > SIGNATURE_LIFETIME_SECONDS - args.seconds - 30:
            raise RuntimeError("the signed requests are about to expire; use fewer concurrency levels")

    def closed_loop(target: str, connections: int) -> LoadResult:
        check_signatures()
        if use_wrk:
            return run_wrk(target, Path(file.name), connections, args.seconds, args.max_requests)
        return run_python(target, requests, connections, args.seconds, args.max_requests)

    def sweep(target: str, label: str) -> dict[int, LoadResult]:
        results = {connections: closed_loop(target, connections) for connections in args.concurrency}
        for connections, result in results.items():
            print(
                f"  {name} ({label}): {connections} connections: {result.rate:,.0f} requests/s, "
                f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, {result.errors} errors",
                flush=True,
            )
        return results

    try:
        served = sweep(url, "OpenAML")
        floor = sweep(floor_url, "bare floor")
        best = max(served, key=lambda connections: served[connections].rate)
        floor_best = max(floor, key=lambda connections: floor[connections].rate)
        check_signatures()
        rate = served[best].rate / 2
        if use_wrk:
            service_ms = min(result.p50_ms for result in served.values())
            half = paced_wrk(url, Path(file.name), rate, service_ms, args.seconds, args.max_requests)
        else:
            half = run_python(url, requests, PACED_CONNECTIONS, args.seconds, args.max_requests, rate)
        print(
            f"  {name}: half load ({rate:,.0f} requests/s wanted): {half.rate:,.0f} requests/s, "
            f"p50 {half.p50_ms:.2f} ms, p99 {half.p99_ms:.2f} ms, {half.errors} errors",
            flush=True,
        )
    finally:
        os.unlink(file.name)
    errors = sum(result.errors for result in served.values()) + half.errors
    if any(result.errors for result in floor.values()):
        print(f"  {name}: the bare floor answered errors", flush=True)
    algorithm, bare_ms = bare_predict(model_dir, records)
    return ModelResult(
        name, algorithm, bare_ms, best, served[best], half, floor_best, floor[floor_best], errors
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument("--models", default="titanic-sgd,titanic-automl,har-sgd,har-automl")
    parser.add_argument("--budget", default="30", help="AutoML time budget in seconds")
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--records", type=int, default=200, help="distinct records replayed")
    parser.add_argument("--seconds", type=int, default=5, help="length of each load run")
    parser.add_argument("--max-requests", type=int, default=200_000, help="most requests in one run")
    parser.add_argument("--concurrency", default="1,4,8,16,32", help="connections to try for throughput")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator, not wrk")
    args = parser.parse_args()
    args.concurrency = [int(value) for value in args.concurrency.split(",")]
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    for name in names:
        dataset_name, _, mode = name.partition("-")
        if dataset_name not in DATASETS or mode not in MODES:
            parser.error(f"unknown model {name!r}: use <{'|'.join(DATASETS)}>-<{'|'.join(MODES)}>")

    results = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with running_server(root / "data", root, args.http_workers) as url:
            ml = client(url)
            train_models(ml, names, args.datasets_dir, root, {"openaml.timeBudgetSeconds": args.budget})
            model_dirs = {name: root / "data" / "mlmodels" / name / "model" for name in names}
            with running_bare_floor(model_dirs, args.http_workers) as floor_url:
                for name in names:
                    dataset = DATASETS[name.split("-")[0]]
                    records = sample_records(args.datasets_dir, dataset, args.records)
                    endpoint = ml.get_ml_model(MLModelId=name)["EndpointInfo"]["EndpointUrl"]
                    answer = ml.predict(MLModelId=name, Record=records[0], PredictEndpoint=endpoint)
                    print(f"{name}: {json.dumps(answer['Prediction'])[:160]}", flush=True)
                    results.append(measure_model(name, url, floor_url, args, model_dirs[name], records))

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    generator = "wrk" if shutil.which("wrk") and not args.python_load else "Python processes"
    print(
        f"\n{os.cpu_count()} CPUs, load average {load}; {args.http_workers} serving processes; "
        f"load from {generator}; {args.seconds:g} s per run\n"
    )
    print(
        "| model | algorithm | bare predict ms | best connections | requests/s | bare floor requests/s "
        "| ratio to bare floor | half-load requests/s | p50 ms | p99 ms | server/bare (p50) | errors |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        print(
            f"| {result.name} | {result.algorithm} | {result.bare_ms:.3f} | {result.concurrency} "
            f"| {result.throughput.rate:,.0f} | {result.floor.rate:,.0f} | {result.floor_ratio:.2f} "
            f"| {result.half_load.rate:,.0f} | {result.half_load.p50_ms:.2f} "
            f"| {result.half_load.p99_ms:.2f} | {result.half_load.p50_ms / result.bare_ms:.1f} "
            f"| {result.errors} |"
        )


if __name__ == "__main__":
    main()
