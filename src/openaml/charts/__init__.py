"""Pictures of an evaluation report, one renderer per format.

:mod:`.figures` reads the report JSON (docs/contracts.md, contract 5) into what a chart shows (series,
labels, titles); :mod:`.style` holds the one palette and label rules; :mod:`.svg` draws the figures as
plain-text SVG (no plotting library) and :mod:`.png` with matplotlib (the optional ``reports`` extra).
:func:`.render.render_chart` maps a chart file name such as ``roc-curve.png`` to its picture. The
server draws every picture; the CLI downloads them.
"""
