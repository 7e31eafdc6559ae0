"""OpenAML: a self-hosted, Amazon Machine Learning-compatible service for tabular data."""

__version__ = "0.1.0"
