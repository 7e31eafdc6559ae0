"""Parsing and type-checking recipes: the documented examples, name rules, and every kind of error."""

from __future__ import annotations

import json

import pytest

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.recipes import ValueKind, parse_recipe
from openaml.engine.recipes.expressions import AttributeInput, Function, Transform
from openaml.errors import InvalidInputException

T = AttributeType

# The schema of the Developer Guide's recipe example (amazon-ml.md §6.5), plus roles that are not inputs.
SCHEMA = DataSchema(
    attributes=(
        Attribute("id", T.CATEGORICAL),
        Attribute("title", T.TEXT),
        Attribute("tagline", T.TEXT),
        Attribute("description", T.TEXT),
        Attribute("age", T.NUMERIC),
        Attribute("income", T.NUMERIC),
        Attribute("tenure", T.NUMERIC),
        Attribute("region", T.CATEGORICAL),
        Attribute("plan", T.CATEGORICAL),
        Attribute("urban", T.BINARY),
        Attribute("secret", T.NUMERIC),
        Attribute("churned", T.BINARY),
    ),
    target_attribute_name="churned",
    row_id="id",
    excluded_attribute_names=("secret",),
)

DEVELOPER_GUIDE_EXAMPLE = """{
  "groups":      {"FREE_TEXT": "group_remove(ALL_TEXT, title)",
                  "SHORT_TEXT": "group(title, tagline)",
                  "DISCRETE": "group(ALL_CATEGORICAL, ALL_BINARY)"},
  "assignments": {"age_bins": "quantile_bin(age, 20)",
                  "region_x_plan": "cartesian(region, plan)"},
  "outputs":     ["lowercase(no_punct(FREE_TEXT))",
                  "osb(lowercase(SHORT_TEXT), 3)",
                  "normalize(income)",
                  "income // raw value kept next to the normalized one",
                  "cartesian(age_bins, quantile_bin(tenure, 10))",
                  "region_x_plan",
                  "DISCRETE"]
}"""


def recipe_of(
    *outputs: str, groups: dict[str, str] | None = None, assignments: dict[str, str] | None = None
) -> str:
    document: dict[str, object] = {}
    if groups is not None:
        document["groups"] = groups
    if assignments is not None:
        document["assignments"] = assignments
    document["outputs"] = list(outputs)
    return json.dumps(document)


def labels(text: str, schema: DataSchema = SCHEMA) -> list[str]:
    return [variable.label for variable in parse_recipe(text, schema).outputs]


def error_of(text: str, schema: DataSchema = SCHEMA) -> str:
    with pytest.raises(InvalidInputException) as caught:
        parse_recipe(text, schema)
    return caught.value.message


def test_developer_guide_example_expands_groups_assignments_and_comments() -> None:
    recipe = parse_recipe(DEVELOPER_GUIDE_EXAMPLE, SCHEMA)

    assert recipe.text == DEVELOPER_GUIDE_EXAMPLE
    assert recipe.groups == {
        "FREE_TEXT": ("tagline", "description"),
        "SHORT_TEXT": ("title", "tagline"),
        "DISCRETE": ("region", "plan", "urban"),
    }
    assert [(v.label, v.expression.kind) for v in recipe.outputs] == [
        ("lowercase(no_punct(tagline))", ValueKind.TEXT),
        ("lowercase(no_punct(description))", ValueKind.TEXT),
        ("osb(lowercase(title),3)", ValueKind.TOKENS),
        ("osb(lowercase(tagline),3)", ValueKind.TOKENS),
        ("normalize(income)", ValueKind.NUMERIC),
        ("income", ValueKind.NUMERIC),
        ("cartesian(quantile_bin(age,20),quantile_bin(tenure,10))", ValueKind.CATEGORICAL),
        ("region_x_plan", ValueKind.CATEGORICAL),
        ("region", ValueKind.CATEGORICAL),
        ("plan", ValueKind.CATEGORICAL),
        ("urban", ValueKind.BINARY),
    ]


def test_outputs_compile_to_expression_trees_over_attributes() -> None:
    (variable,) = parse_recipe(recipe_of("quantile_bin(normalize(age), 5)"), SCHEMA).outputs

    age = AttributeInput("age", ValueKind.NUMERIC)
    normalized = Transform(Function.NORMALIZE, (age,), None, ValueKind.NUMERIC)
    assert variable.expression == Transform(Function.QUANTILE_BIN, (normalized,), 5, ValueKind.CATEGORICAL)


def test_suggested_recipe_examples_from_the_service_parse() -> None:
    iris = DataSchema(
        attributes=(
            *(
                Attribute(name, T.NUMERIC)
                for name in ("sepal_length", "sepal_width", "petal_length", "petal_width")
            ),
            Attribute("species", T.CATEGORICAL),
        ),
        target_attribute_name="species",
    )
    observed = """{"groups": {"NUMERIC_VARS_QB_50": "group('sepal_width')",
                              "NUMERIC_VARS_QB_20": "group('petal_width')",
                              "NUMERIC_VARS_QB_10": "group('petal_length','sepal_length')"},
                   "assignments": {},
                   "outputs": ["ALL_CATEGORICAL",
                               "quantile_bin(NUMERIC_VARS_QB_50,50)",
                               "quantile_bin(NUMERIC_VARS_QB_20,20)",
                               "quantile_bin(NUMERIC_VARS_QB_10,10)"]}"""

    assert labels(observed, iris) == [
        "quantile_bin(sepal_width,50)",
        "quantile_bin(petal_width,20)",
        "quantile_bin(petal_length,10)",
        "quantile_bin(sepal_length,10)",
    ]
    all_categorical = '{"groups":{},"assignments":{},"outputs":["ALL_CATEGORICAL"]}'
    assert labels(all_categorical) == ["region", "plan"]


def test_stored_recipes_may_carry_an_ignored_dependencies_member() -> None:
    assert labels('{"dependencies": {}, "outputs": ["age"]}') == ["age"]


def test_names_may_be_quoted_and_bare_names_may_contain_inner_spaces() -> None:
    schema = DataSchema(
        attributes=(
            Attribute("fixed acidity", T.NUMERIC),
            Attribute("2nd reading", T.NUMERIC),
            Attribute("it's (odd), really", T.CATEGORICAL),
        )
    )
    text = recipe_of("normalize( fixed acidity )", "'2nd reading'", "'it\\'s (odd), really'")

    assert labels(text, schema) == ["normalize(fixed acidity)", "'2nd reading'", "'it\\'s (odd), really'"]


def test_group_and_assignment_names_may_be_quoted() -> None:
    text = recipe_of(
        "'my group'",
        "'1st bins'",
        groups={"'my group'": "group(region)"},
        assignments={"'1st bins'": "quantile_bin(age, 5)"},
    )

    assert labels(text) == ["region", "1st bins"]


def test_groups_may_use_earlier_groups_and_assignments_may_apply_to_groups() -> None:
    text = recipe_of(
        "normalized",
        "TEXTS",
        groups={
            "NUMBERS": "group(age, income, tenure)",
            "SOME": "group_remove(NUMBERS, income)",
            "TEXTS": "ALL_TEXT",
        },
        assignments={"normalized": "normalize(SOME)"},
    )

    assert labels(text) == ["normalize(age)", "normalize(tenure)", "title", "tagline", "description"]


def test_all_inputs_holds_every_input_but_never_target_row_id_or_excluded_attributes() -> None:
    expected = ["title", "tagline", "description", "age", "income", "tenure", "region", "plan", "urban"]

    assert labels(recipe_of("ALL_INPUTS")) == expected


def test_repeated_outputs_are_kept_once() -> None:
    assert labels(recipe_of("region", "ALL_CATEGORICAL", "region")) == ["region", "plan"]


def test_cartesian_of_groups_crosses_every_pair_and_text_gives_tokens() -> None:
    recipe = parse_recipe(
        recipe_of("cartesian(ALL_CATEGORICAL, group_text)", groups={"group_text": "group(title)"}), SCHEMA
    )

    assert [(v.label, v.expression.kind) for v in recipe.outputs] == [
        ("cartesian(region,title)", ValueKind.TOKENS),
        ("cartesian(plan,title)", ValueKind.TOKENS),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            recipe_of("age", "region", "quantile_bins(age, 10)"),
            "Recipe error in outputs[2] at column 1: unknown function 'quantile_bins' (did you mean "
            "quantile_bin?)",
        ),
        (
            recipe_of("lowercase(ngrams(title, 2))"),
            "Recipe error in outputs[0] at column 11: unknown function 'ngrams' (did you mean ngram?)",
        ),
        (
            recipe_of("normalize(title)"),
            "Recipe error in outputs[0] at column 11: normalize needs NUMERIC values, but title is TEXT",
        ),
        (
            recipe_of("lowercase(ALL_INPUTS)"),
            "Recipe error in outputs[0] at column 11: lowercase needs TEXT values, but age is NUMERIC "
            "(bin it with quantile_bin first)",
        ),
        (
            recipe_of("cartesian(region, age)"),
            "Recipe error in outputs[0] at column 19: cartesian needs BINARY or CATEGORICAL or TEXT or "
            "TOKENS "
            "values, but age is NUMERIC (bin it with quantile_bin first)",
        ),
        (
            recipe_of("lowercase(osb(title, 2))"),
            "Recipe error in outputs[0] at column 11: lowercase needs TEXT values, but osb(title,2) is "
            "TOKENS",
        ),
        (
            recipe_of("ngram(title, 11)"),
            "Recipe error in outputs[0] at column 14: the n-gram size of ngram must be from 2 to 10; got 11",
        ),
        (
            recipe_of("osb(title, 1)"),
            "Recipe error in outputs[0] at column 12: the window size of osb must be from 2 to 10; got 1",
        ),
        (
            recipe_of("quantile_bin(age, 1001)"),
            "Recipe error in outputs[0] at column 19: the number of bins of quantile_bin must be from 2 to "
            "1000; "
            "got 1001",
        ),
        (
            recipe_of("quantile_bin(age, tenure)"),
            "Recipe error in outputs[0] at column 19: the second argument of quantile_bin is the number of "
            "bins, "
            "a whole number from 2 to 1000",
        ),
        (
            recipe_of("normalize(age, 3)"),
            "Recipe error in outputs[0] at column 1: normalize takes 1 argument(s) (normalize(x)); got 2",
        ),
        (
            recipe_of("cartesian(region)"),
            "Recipe error in outputs[0] at column 1: cartesian takes 2 arguments; got 1",
        ),
        (
            recipe_of("5"),
            "Recipe error in outputs[0] at column 1: a number is only allowed as the last argument of ngram, "
            "osb or quantile_bin",
        ),
        (
            recipe_of("regoin"),
            "Recipe error in outputs[0] at column 1: unknown attribute or group 'regoin' (did you mean "
            "region?)",
        ),
        (
            recipe_of("churned"),
            "Recipe error in outputs[0] at column 1: 'churned' is the target attribute and cannot be used "
            "in a recipe",
        ),
        (
            recipe_of("group(id)", groups={}),
            "Recipe error in outputs[0] at column 1: group() may only be used in the groups section; "
            "define a group there",
        ),
        (
            recipe_of("normalize(secret)"),
            "Recipe error in outputs[0] at column 11: 'secret' is excluded from modelling (an excluded "
            "attribute "
            "or the row weight) and cannot be used in a recipe",
        ),
        (
            recipe_of("G", groups={"G": "group(id)"}),
            "Recipe error in groups[\"G\"] at column 7: 'id' is the rowId attribute and cannot be used in a "
            "recipe",
        ),
        (
            recipe_of("G", groups={"G": "group(ALL_INPUTS)"}),
            'Recipe error in groups["G"] at column 7: ALL_INPUTS may not be used inside a group definition',
        ),
        (
            recipe_of("G", groups={"G": "lowercase(title)"}),
            'Recipe error in groups["G"] at column 1: a group is defined with group(...) or '
            "group_remove(...), "
            "not lowercase(...)",
        ),
        (
            recipe_of("G", groups={"G": "group_remove(region, plan)"}),
            'Recipe error in groups["G"] at column 14: the first argument of group_remove must be a group',
        ),
        (
            recipe_of("G", groups={"G": "group(age) // numbers"}),
            'Recipe error in groups["G"] at column 12: comments (//) are only allowed at the end of an '
            "output",
        ),
        (
            recipe_of("G", groups={"G": "group(LATER)", "LATER": "group(age)"}),
            "Recipe error in groups[\"G\"] at column 7: unknown attribute or group 'LATER'",
        ),
        (
            recipe_of("lowercase(title"),
            "Recipe error in outputs[0] at column 16: the expression ends where ',' or ')' was expected",
        ),
        (
            recipe_of("age)"),
            "Recipe error in outputs[0] at column 4: unexpected ')' after the end of the expression",
        ),
        (
            recipe_of("normalize(age age2)"),
            "Recipe error in outputs[0] at column 11: unknown attribute or group 'age age2'",
        ),
        (recipe_of("  "), "Recipe error in outputs[0] at column 1: the expression is empty"),
        (
            recipe_of("normalize('age)"),
            "Recipe error in outputs[0] at column 11: the quoted name is not closed with a single quote",
        ),
        (
            recipe_of('normalize("age")'),
            "Recipe error in outputs[0] at column 11: quote names with single quotes ('like this'), not "
            "double quotes",
        ),
        (
            recipe_of("normalize(2nd)"),
            "Recipe error in outputs[0] at column 11: '2nd' is neither a whole number nor a name; names "
            "that do "
            "not start with a letter must be single-quoted",
        ),
        (
            recipe_of("'normalize'(age)"),
            "Recipe error in outputs[0] at column 1: a quoted name cannot be called as a function",
        ),
    ],
)
def test_expression_errors_point_at_the_offending_token(text: str, message: str) -> None:
    assert error_of(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"outputs": ["age"]',
            "Recipe error at line 1 column 20: the recipe is not valid JSON (Expecting ',' delimiter).",
        ),
        ("[]", 'Recipe error: the recipe must be a JSON object with an "outputs" list.'),
        (
            '{"groups": {}}',
            'Recipe error in outputs: the recipe needs a non-empty "outputs" list of expression strings.',
        ),
        (
            '{"outputs": []}',
            'Recipe error in outputs: the recipe needs a non-empty "outputs" list of expression strings.',
        ),
        (
            '{"outputs": [3]}',
            'Recipe error in outputs: the recipe needs a non-empty "outputs" list of expression strings.',
        ),
        (
            '{"outputs": ["age"], "groups": {}}',
            'Recipe error: the sections appear as outputs, groups; they must appear in the order "groups", '
            '"assignments", "outputs".',
        ),
        (
            '{"group": {}, "outputs": ["age"]}',
            "Recipe error: unknown section 'group' (did you mean groups?); the sections are \"groups\", "
            '"assignments" and "outputs", in that order.',
        ),
        (
            '{"groups": {"A": "group(age)", "A": "group(income)"}, "outputs": ["A"]}',
            "Recipe error: the name 'A' is defined more than once in the same JSON object.",
        ),
        (
            '{"groups": ["age"], "outputs": ["age"]}',
            'Recipe error in groups: "groups" must be a JSON object mapping names to expression strings.',
        ),
        (
            recipe_of("x", assignments={"x": "normalize(age)", "ALL_TEXT": "title"}),
            'Recipe error in assignments["ALL_TEXT"]: ALL_TEXT is a predefined group and cannot be '
            "redefined.",
        ),
        (
            recipe_of("age", groups={"age": "group(income)"}),
            "Recipe error in groups[\"age\"]: 'age' is already the name of an attribute; choose another "
            "name.",
        ),
        (
            recipe_of("A", groups={"A": "group(income)"}, assignments={"A": "normalize(age)"}),
            "Recipe error in assignments[\"A\"]: the name 'A' is already defined.",
        ),
        (
            recipe_of("A", groups={"A" * 65: "group(income)"}),
            f'Recipe error in groups["{"A" * 65}"]: the name is 65 characters long; at most 64 are allowed.',
        ),
        (
            recipe_of("A", groups={"a(b)": "group(income)"}),
            "Recipe error in groups: 'a(b)' is not a valid name; names start with a letter (or are "
            "single-quoted) "
            "and contain no commas, quotes, parentheses or backslashes.",
        ),
        (
            recipe_of("A", groups={"_x": "group(income)"}),
            "Recipe error in groups (the name '_x') at column 1: '_x' is neither a whole number nor a name; "
            "names "
            "that do not start with a letter must be single-quoted",
        ),
    ],
)
def test_structure_errors_name_the_section(text: str, message: str) -> None:
    assert error_of(text) == message


def test_recipes_may_not_produce_more_than_ten_thousand_output_variables() -> None:
    schema = DataSchema(attributes=tuple(Attribute(f"c{i}", T.CATEGORICAL) for i in range(101)))

    message = error_of(recipe_of("cartesian(ALL_CATEGORICAL, ALL_CATEGORICAL)"), schema)

    assert message == (
        "Recipe error in outputs[0] at column 1: cartesian of 101 × 101 variables exceeds the limit of "
        "10,000 processed output variables"
    )
    within_limit = recipe_of("cartesian(A, A)", groups={"A": "group_remove(ALL_CATEGORICAL, c100)"})
    assert len(parse_recipe(within_limit, schema).outputs) == 10_000
    one_more = recipe_of("cartesian(A, A)", "c100", groups={"A": "group_remove(ALL_CATEGORICAL, c100)"})
    assert error_of(one_more, schema) == (
        "Recipe error in outputs[1]: the recipe produces more than 10,000 processed output variables, the "
        "most "
        "one recipe may have."
    )


def test_recipe_text_longer_than_the_api_limit_is_rejected() -> None:
    text = recipe_of("age" + " " * 131_072)

    assert error_of(text) == "Recipe error: the recipe has 131,092 characters; at most 131,071 are allowed."
