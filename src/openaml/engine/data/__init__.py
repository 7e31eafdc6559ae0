"""Datasource computation: schema, inference, streaming reads, validation, splits and statistics.

Modules:

* :mod:`.schema` — the Amazon ML data schema (parse both spellings, emit the Developer-Guide one).
* :mod:`.files` — :class:`DataFile`, how the caller hands files to the engine.
* :mod:`.inference` — guessing a schema from a sample of the data.
* :mod:`.reading` — streaming CSV/Parquet reading and record validation.
* :mod:`.rearrangement` — ``DataRearrangement`` (percent slices, sequential or random).
* :mod:`.statistics` — bounded-memory statistics accumulated during the read.
* :mod:`.ingest` — the datasource pass (validation + statistics) and typed frame iteration.
* :mod:`.sql` — snapshotting a SQL query result to Parquet.
"""
