"""Evaluations: how well a model's scores match the true targets of a labelled datasource.

Pure computation on arrays, returning JSON-ready values. Import from the modules; this package
imports nothing itself, so that the CLI can render a report without loading scikit-learn or SciPy.

Modules:

* :mod:`.evaluate` — :func:`evaluate`: Amazon ML's ``PerformanceMetrics.Properties`` (headline metric,
  further metrics, baselines) and the detailed report; both layouts are documented there.
* :mod:`.alerts` — :func:`evaluation_alerts` (Amazon ML's evaluation alerts) and
  :func:`schema_differences`.
* :mod:`.distribution` — target distributions from statistics or values, and the test of whether
  two of them differ.
* :mod:`.charts` — SVG confusion matrix and ROC curve; :mod:`.png` — the same as PNG (matplotlib).
* :mod:`.text` — :func:`format_text_report` for terminals.
* :mod:`.binary`, :mod:`.multiclass`, :mod:`.regression` — the per-type computations;
  :mod:`.confusion` — confusion matrices; :mod:`.result` — the result type and JSON conventions.
"""
