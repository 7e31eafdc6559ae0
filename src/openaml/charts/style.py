"""The one look of every chart, whatever its format: colours, label length, label rotation, counts rule."""

from __future__ import annotations

#: Text, and text drawn on a dark cell.
TEXT = "#1a1a1a"
TEXT_ON_DARK = "#ffffff"
MUTED_TEXT = "#555555"
#: The model's curve and bars, the random-ranking diagonal, grid lines and plot frames.
SERIES = "#1f5fa8"
REFERENCE = "#999999"
GRID = "#e0e0e0"
FRAME = "#333333"
#: The two models of a champion–challenger comparison: the champion in the series colour.
CHAMPION = SERIES
CHALLENGER = "#d9480f"
#: Heat-map colours: white for a share of 0 through to deep blue for 1 (matplotlib's "Blues" ends).
SHARE_LOW = (247, 251, 255)
SHARE_HIGH = (8, 48, 107)
#: Cells with a larger share than this are dark: their count is written in TEXT_ON_DARK.
DARK_FROM_SHARE = 0.55
#: Column class names are turned a quarter left (they read upwards), in every format.
COLUMN_LABEL_ROTATION = 90
#: Class names longer than this are cut, with an ellipsis.
LABEL_CHARACTERS = 18
#: Confusion matrices with more classes than this leave the counts out of their cells.
MAX_COUNTED_CLASSES = 20


def short_label(label: object) -> str:
    """``label`` as text, cut to :data:`LABEL_CHARACTERS` with an ellipsis."""
    text = str(label)
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def share_colour(share: float) -> str:
    """The heat-map colour of ``share`` (clipped to 0–1) as ``#rrggbb``."""
    share = min(max(share, 0.0), 1.0)
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(SHARE_LOW, SHARE_HIGH, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def count_colour(share: float) -> str:
    """The colour of a count written on a cell of ``share``."""
    return TEXT_ON_DARK if share > DARK_FROM_SHARE else TEXT
