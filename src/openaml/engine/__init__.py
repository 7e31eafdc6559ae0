"""Pure computation on data: reading, schema inference, validation, statistics, splits, models.

The engine never sees HTTP, SQL metadata rows or API shapes: it takes files, schemas, frames and
parameters and returns results. Heavy libraries (pyarrow, pandas, scikit-learn, ...) are imported
only inside this package so that the CLI and the server start quickly.
"""
