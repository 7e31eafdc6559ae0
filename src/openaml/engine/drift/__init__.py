"""Data drift: distances between a baseline and a current distribution, per attribute and of predictions."""
