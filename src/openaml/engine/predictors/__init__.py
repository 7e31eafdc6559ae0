"""Turning request records into typed frames and model scores into Amazon ML prediction shapes."""

from openaml.engine.predictors.records import RecordPredictor, records_to_frame

__all__ = ["RecordPredictor", "records_to_frame"]
