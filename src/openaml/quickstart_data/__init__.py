"""The activity-recognition sample that ``openaml quickstart`` trains on (see README.md beside it).

Data only: the files are found with :func:`importlib.resources.files`; this module just makes the
folder an importable package so that every installer ships it.
"""
