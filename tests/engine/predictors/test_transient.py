"""Derived data is cached, left out of pickles and rebuilt after loading."""

from __future__ import annotations

import pickle

from openaml.engine.predictors.transient import transient_cached_property


class Model:
    def __init__(self, weights: list[float]) -> None:
        self.weights = weights
        self.computed = 0

    @transient_cached_property
    def table(self) -> dict[int, float]:
        self.computed += 1
        return dict(enumerate(self.weights))


def test_the_value_is_computed_once_and_not_pickled() -> None:
    model = Model([0.5, 2.0])
    assert model.table == {0: 0.5, 1: 2.0} and model.table is model.table
    assert model.computed == 1

    copy = pickle.loads(pickle.dumps(model))

    assert copy.computed == 1  # the counter was pickled, the table was not: it is rebuilt on use
    assert copy.table == {0: 0.5, 1: 2.0}
    assert copy.computed == 2


def test_each_instance_has_its_own_value() -> None:
    first, second = Model([1.0]), Model([2.0])

    assert (first.table, second.table) == ({0: 1.0}, {0: 2.0})
    assert isinstance(Model.__dict__["table"], transient_cached_property)
