"""Storage: the metadata database and the object store for data files and artifacts.

``openaml.store.objects`` reads and writes files on local disk or S3 behind one URI-based interface,
confined to the data directory and the configured data roots, with atomic writes;
``openaml.store.locations`` parses and normalises the URIs it accepts.
"""
