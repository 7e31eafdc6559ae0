"""The job bodies of every resource type, and what happens when a job dies.

The composition roots hand :func:`job_bodies` to a :class:`openaml.jobs.worker.Worker`.
"""

from __future__ import annotations

import logging

from openaml.domain import (
    batch_predictions,
    data_sources,
    drift_reports,
    evaluations,
    exports,
    ml_models,
    retrains,
)
from openaml.domain.context import ServiceContext
from openaml.domain.resources import fail_resource
from openaml.entities import Job, ResourceKind
from openaml.jobs.worker import JobBody

log = logging.getLogger(__name__)


def job_bodies(ctx: ServiceContext) -> dict[str, JobBody]:
    return {
        data_sources.INGEST_JOB: lambda job, context: data_sources.run_ingest_job(ctx, job, context),
        ml_models.TRAIN_JOB: lambda job, context: ml_models.run_training_job(ctx, job, context),
        exports.EXPORT_JOB: lambda job, context: exports.run_export_job(ctx, job, context),
        evaluations.EVALUATE_JOB: lambda job, context: evaluations.run_evaluation_job(ctx, job, context),
        batch_predictions.BATCH_JOB: lambda job, context: batch_predictions.run_batch_prediction_job(
            ctx, job, context
        ),
        drift_reports.DRIFT_JOB: lambda job, context: drift_reports.run_drift_job(ctx, job, context),
        retrains.COMPARE_JOB: lambda job, context: retrains.run_compare_job(ctx, job, context),
    }


def fail_abandoned_job(ctx: ServiceContext, job: Job) -> None:
    """A job's workers died too often: fail its resource with the queue's explanation.

    A batch prediction's unfinished output files of the killed runs are removed too (no retry will).
    An export job fails only its unfinished exports: the model it exports stays COMPLETED.
    """
    if job.job_type == exports.EXPORT_JOB:
        exports.fail_unfinished_exports(ctx, job.resource_id, f"Export failed: {job.error}")
        return
    if job.job_type == retrains.COMPARE_JOB:  # the challenger model itself is done; the retrain fails
        retrains.fail_retrain(ctx, job.resource_id, f"The comparison failed: {job.error}")
        return
    fail_resource(ctx, job.resource_kind, job.resource_id, f"Processing failed: {job.error}")
    batch = ctx.resources.get(job.resource_kind, job.resource_id)
    if job.resource_kind is ResourceKind.BATCH_PREDICTION and batch is not None:
        try:
            batch_predictions.discard_unfinished_outputs(ctx, batch)
        except Exception:  # the resource is failed either way; only leftovers remain
            log.exception("removing the unfinished outputs of batch prediction %s failed", batch.id)


def fail_crashed_job(ctx: ServiceContext, job: Job, error: str) -> None:
    """A job body raised something unexpected: fail its resource with a message, never leave it running."""
    if job.job_type == exports.EXPORT_JOB:
        exports.fail_unfinished_exports(ctx, job.resource_id, f"Export failed: internal error ({error}).")
        return
    if job.job_type == retrains.COMPARE_JOB:
        retrains.fail_retrain(
            ctx, job.resource_id, f"The comparison failed because of an internal error ({error})."
        )
        return
    fail_resource(
        ctx,
        job.resource_kind,
        job.resource_id,
        f"Processing failed because of an internal error ({error}). See the server log for details.",
    )
