"""Real-time endpoints: their life-cycle, and the in-memory models every serving process keeps.

``CreateRealtimeEndpoint`` marks a COMPLETED model's endpoint UPDATING. Every serving process runs an
:class:`EndpointRegistry` that, every ``OPENAML_ENDPOINT_REFRESH_SECONDS``, reads which models have
endpoints, loads new ones into memory (the first process to load one marks it READY), drops removed
ones and picks up new score thresholds — so a change reaches every process within that interval. A
``Predict`` for a mounted model is a dictionary lookup plus the model's own work: no database write,
no disk read. Only a model a process has not seen yet costs one database read (and its first load).
Endpoints are state in the database, so after a restart they are READY again without user action.

Model groups (:mod:`openaml.domain.model_groups`): ``Predict`` on a group ID serves the group's
champion, on ``<group>.v<N>`` that version, through :attr:`EndpointRegistry.routes`, rebuilt by each
refresh without a database read per request. Every model is **warmed** (it scores a few records) before
it becomes visible to ``Predict``, and a group's route moves to a new champion only once that champion
is mounted and warm in this process — until then the old champion answers, so a swap never fails a
Predict; a request already running holds its model object and finishes on it. Each prediction's
``details`` carry ``openaml.modelVersion`` (``<group>.v<N>``).

A serving process scores one request at a time, and processes (``OPENAML_HTTP_WORKERS``) make the
concurrency, so the numeric libraries a model loads are limited to one thread each: their own
thread pools would compete for the cores the other serving processes use (measured with two
processes on two cores: an ensemble with k-NN and an MLP served 250 requests/s with the default
pools, 660 with one thread).
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from threadpoolctl import threadpool_limits

from openaml.domain import model_groups
from openaml.domain.captures import CaptureWriter, capture_rate_of
from openaml.domain.context import ServiceContext
from openaml.domain.explanations import attach_explanations, explain_top
from openaml.domain.ml_models import TRUE_ALGORITHM_KEY, model_directory, true_algorithm
from openaml.domain.records import TrainedModelOutcome, TrainingRequest
from openaml.domain.resources import get_resource
from openaml.engine.data.schema import AttributeType, DataSchema, parse_data_schema
from openaml.engine.models import load_model
from openaml.engine.predictors import RecordPredictor
from openaml.entities import EntityStatus, Resource, ResourceKind, ResourceQuery
from openaml.errors import InvalidInputException, LimitExceededException, PredictorNotMountedException

log = logging.getLogger(__name__)
KIND = ResourceKind.ML_MODEL
MOUNTED = ("UPDATING", "READY")
#: How many times a newly loaded model scores a record before it serves (warm-up).
WARM_UP_PREDICTIONS = 3
#: What ``PeakRequestsPerSecond`` reports when no rate limit is configured: Amazon ML's guarantee,
#: which OpenAML exceeds by far (docs/performance.md has the measured numbers).
DEFAULT_PEAK_REQUESTS_PER_SECOND = 200


def freeze_long_lived_objects() -> None:
    """Move every object alive now out of the cyclic garbage collector's sight (``gc.freeze``).

    A serving process holds hundreds of thousands of long-lived objects (the engine's libraries, the
    mounted models), and each full collection walked all of them: ~160 ms, triggered every few
    thousand requests by the records' own allocations — Predict's p99 at half load was 60-120 ms
    because of it. Frozen objects are still freed by reference counting; only cycles among them
    (rare in loaded models) outlive an unmounted model.
    """
    gc.freeze()


def peak_requests_per_second(ctx: ServiceContext) -> int:
    limit = ctx.settings.endpoint_max_requests_per_second
    return limit if limit > 0 else DEFAULT_PEAK_REQUESTS_PER_SECOND


def create_realtime_endpoint(ctx: ServiceContext, ml_model_id: str) -> Resource:
    """Ask every serving process to mount the model; an existing endpoint is returned unchanged."""
    model = get_resource(ctx, KIND, ml_model_id)
    if model.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(
            f"MLModel {ml_model_id} is {model.status.value}; "
            "only a COMPLETED model can get a real-time endpoint."
        )
    if model.endpoint_status in MOUNTED:
        return model
    endpoint = {
        "CreatedAt": time.time(),
        "PeakRequestsPerSecond": peak_requests_per_second(ctx),
    }
    updated = ctx.resources.update(
        KIND,
        ml_model_id,
        {"endpoint_status": "UPDATING", "details": {"Endpoint": endpoint}},
        only_if_status=[EntityStatus.COMPLETED],
    )
    if updated is None:
        raise InvalidInputException(f"MLModel {ml_model_id} changed meanwhile; try again.")
    return updated


def delete_realtime_endpoint(ctx: ServiceContext, ml_model_id: str) -> Resource:
    model = get_resource(ctx, KIND, ml_model_id)
    if model.endpoint_status in (None, "NONE"):
        return model
    updated = ctx.resources.update(
        KIND, ml_model_id, {"endpoint_status": "NONE", "details": {"Endpoint": None}}
    )
    return updated or model


@dataclass
class _RateLimiter:
    """A token bucket: ``rate`` requests per second with bursts of one second's worth."""

    rate: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class MountedModel:
    predictor: RecordPredictor
    limiter: _RateLimiter | None
    #: The share of records captured (:mod:`openaml.domain.captures`); 0 = off.
    capture_rate: float = 0.0
    #: The model's group and version number (its own group's version 1 when never retrained).
    group_id: str = ""
    version: int = 1

    @property
    def version_name(self) -> str:
        return model_groups.version_name(self.group_id, self.version)


#: What :attr:`EndpointRegistry.routes` gives for an ID it has no route for (a sentinel).
_UNROUTED = MountedModel.__new__(MountedModel)


def warm_up(predictor: RecordPredictor, schema: DataSchema) -> None:
    """Score a few records (one input sent but empty, so every value is missing; then every numeric
    input at 0) so that the first real Predict pays no first-call costs (lazy imports, allocations,
    caches of the model's libraries). A record with no input at all would be refused."""
    inputs = schema.input_attributes
    if not inputs:
        return
    missing = {inputs[0].name: ""}
    zeros = {a.name: "0" if a.type is AttributeType.NUMERIC else "" for a in inputs}
    for _ in range(WARM_UP_PREDICTIONS):
        predictor.predict([missing, zeros])


class EndpointRegistry:
    """The models this process serves, kept in sync with the database by :meth:`refresh`."""

    def __init__(self, ctx: ServiceContext, *, serving_processes: int = 1) -> None:
        self.ctx = ctx
        self.mounted: dict[str, MountedModel] = {}
        #: Group IDs and version names → the model they name now (None: look it up in the database).
        #: Replaced whole by :meth:`refresh`, never changed in place.
        self.routes: dict[str, MountedModel | None] = {}
        self._lock = threading.Lock()
        limit = ctx.settings.endpoint_max_requests_per_second
        self._rate = limit / max(serving_processes, 1) if limit > 0 else None
        self.captures = CaptureWriter(ctx)

    def predict(
        self, ml_model_id: str, records: Sequence[Mapping[str, str]], explain_top: int | None = None
    ) -> list[dict[str, Any]]:
        """The predictions of ``records``; ``explain_top`` overrides the model's explanation setting."""
        routed = self.routes.get(ml_model_id, _UNROUTED)
        mounted: MountedModel | None = self.mounted.get(ml_model_id) if routed is _UNROUTED else routed
        if mounted is None:
            mounted = self._mount_on_demand(ml_model_id)
        if mounted.limiter is not None and not mounted.limiter.allow():
            raise LimitExceededException(
                f"The real-time endpoint of {ml_model_id} is over its limit of "
                f"{peak_requests_per_second(self.ctx)} requests per second; retry with backoff."
            )
        predictions = mounted.predictor.predict(records, explain_top)
        if mounted.capture_rate > 0.0:
            self.captures.offer(ml_model_id, mounted.capture_rate, records, predictions)
        return predictions

    def _mount_on_demand(self, requested: str) -> MountedModel:
        ml_model_id = model_groups.resolve(self.ctx, requested).ml_model_id
        if ml_model_id in self.mounted:
            return self.mounted[ml_model_id]
        model = get_resource(self.ctx, KIND, ml_model_id)
        if model.status in (EntityStatus.PENDING, EntityStatus.INPROGRESS):
            raise PredictorNotMountedException(
                f"MLModel {ml_model_id} is still training ({model.status.value}); only a COMPLETED model "
                "serves predictions. When it is COMPLETED, call CreateRealtimeEndpoint and wait until "
                "its EndpointStatus is READY."
            )
        if model.status is not EntityStatus.COMPLETED:
            raise PredictorNotMountedException(
                f"MLModel {ml_model_id} is {model.status.value}; it cannot serve predictions."
            )
        if model.endpoint_status not in MOUNTED:
            raise PredictorNotMountedException(
                f"MLModel {ml_model_id} has no READY real-time endpoint; call CreateRealtimeEndpoint first."
            )
        return self._load(model)

    def _load(self, model: Resource) -> MountedModel:
        with self._lock:
            if model.id in self.mounted:
                return self.mounted[model.id]
            trained, metadata = load_model(model_directory(self.ctx, model.id))
            threadpool_limits(limits=1)  # also the libraries loading the model just brought in
            schema = parse_data_schema(json.dumps(metadata["schema"]))
            algorithm = true_algorithm(model.details)
            group_id, version = model_groups.group_and_version(self.ctx, model.id)
            details = {model_groups.VERSION_KEY: model_groups.version_name(group_id, version)}
            predictor = RecordPredictor(
                trained,
                schema,
                score_threshold=TrainedModelOutcome.from_details(model.details).score_threshold,
                details=details | ({TRUE_ALGORITHM_KEY: algorithm} if algorithm else {}),
            )
            attach_explanations(predictor, model)
            try:
                warm_up(predictor, schema)
            except Exception:  # a model that cannot score these records still serves real ones
                log.exception("warming up the model %s failed", model.id)
            limiter = _RateLimiter(self._rate) if self._rate else None
            mounted = MountedModel(
                predictor, limiter, capture_rate=_capture_rate(model), group_id=group_id, version=version
            )
            self.mounted[model.id] = mounted
            freeze_long_lived_objects()
        if model.endpoint_status == "UPDATING":
            self.ctx.resources.update(
                KIND, model.id, {"endpoint_status": "READY"}, only_if_status=[EntityStatus.COMPLETED]
            )
        log.info("mounted the real-time endpoint of %s", model.id)
        return mounted

    def refresh(self) -> None:
        """Mount new endpoints, drop removed ones, apply changed score thresholds and explanation settings."""
        wanted: dict[str, Resource] = {}
        cursor = None
        while True:
            page, cursor = self.ctx.resources.describe(
                ResourceQuery(
                    KIND, column="endpoint_status", comparators={"NE": "NONE"}, limit=100, after=cursor
                )
            )
            wanted |= {
                m.id: m for m in page if m.status is EntityStatus.COMPLETED and m.endpoint_status in MOUNTED
            }
            if cursor is None:
                break
        for model_id in set(self.mounted) - set(wanted):
            self.mounted.pop(model_id, None)
            log.info("unmounted the real-time endpoint of %s", model_id)
        for model in wanted.values():
            mounted = self.mounted.get(model.id)
            if mounted is None:
                try:
                    self._load(model)
                except Exception:
                    log.exception("cannot mount the real-time endpoint of %s", model.id)
            else:
                mounted.predictor.score_threshold = TrainedModelOutcome.from_details(
                    model.details
                ).score_threshold
                mounted.predictor.explain_top = explain_top(model)
                mounted.capture_rate = _capture_rate(model)
        self.routes = self._routes()

    def _routes(self) -> dict[str, MountedModel | None]:
        """Where each group ID and version name of a mounted model points now.

        A group whose champion is not mounted (yet) keeps answering with the model it answered with
        before, while that is still mounted (the old champion during a swap); else it is looked up.
        """
        mounted = dict(self.mounted)
        champions = self.ctx.model_groups.aliases_named(model_groups.CHAMPION)
        models_by_name = {v.name: v.ml_model_id for v in self.ctx.model_groups.all_versions()}
        live = {id(m) for m in mounted.values()}
        routes: dict[str, MountedModel | None] = {}
        for model in mounted.values():
            routes[model.version_name] = model
        for group_id in {model.group_id for model in mounted.values()}:
            champion = champions.get(group_id, 1)
            champion_id = (
                group_id
                if champion == 1
                else models_by_name.get(model_groups.version_name(group_id, champion))
            )
            target = mounted.get(champion_id) if champion_id is not None else None
            if target is None:
                previous = self.routes.get(group_id)
                target = previous if previous is not None and id(previous) in live else None
            routes[group_id] = target
        return routes

    def run_refresher(self, stop: threading.Event) -> None:
        """Refresh every ``OPENAML_ENDPOINT_REFRESH_SECONDS`` until ``stop``, writing captures meanwhile."""
        writer = threading.Thread(target=self.captures.run, args=(stop,), name="capture-writer", daemon=True)
        writer.start()
        interval = self.ctx.settings.endpoint_refresh_seconds
        while not stop.is_set():
            try:
                self.refresh()
            except Exception:
                log.exception("refreshing the real-time endpoints failed")
            stop.wait(interval)
        writer.join(timeout=10)


def _capture_rate(model: Resource) -> float:
    """The model's capture rate (read at every refresh, so cheaply: the stored record's parameters as
    they are, through the typed record only for rows of earlier versions); a bad value turns capture off."""
    try:
        parameters = model.request.get("parameters")
        if not isinstance(parameters, dict):
            parameters = TrainingRequest.from_json(model.request).parameters
        return capture_rate_of(parameters, model.details)
    except (InvalidInputException, KeyError, TypeError, ValueError):
        return 0.0
