"""Amazon ML's recipe language: parsing, the suggested recipe, and computing features.

Modules:

* :mod:`.expressions` — the typed plan a recipe compiles to (:class:`Recipe`, :class:`RecipeVariable`).
* :mod:`.syntax` — tokens and syntax trees of one expression string.
* :mod:`.parser` — :func:`parse_recipe`: sections, names, groups, functions and type checks.
* :mod:`.suggest` — :func:`suggest_recipe`: the recipe used when the caller gives none.
* :mod:`.text` — the text operations (``lowercase``, ``no_punct``, ``ngram``, ``osb``).
* :mod:`.features` — :class:`RecipeFeaturizer`: typed frames to a sparse feature matrix.
"""

from openaml.engine.recipes.expressions import Recipe, RecipeVariable, ValueKind
from openaml.engine.recipes.features import RecipeFeaturizer
from openaml.engine.recipes.parser import parse_recipe
from openaml.engine.recipes.suggest import suggest_recipe

__all__ = ["Recipe", "RecipeFeaturizer", "RecipeVariable", "ValueKind", "parse_recipe", "suggest_recipe"]
