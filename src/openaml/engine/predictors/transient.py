"""A cached property that is never pickled: derived data rebuilt after a model is loaded.

Models keep what fast scoring needs (compiled lookup tables, closures, flattened trees) as derived
data: computed from the fitted state on first use, left out of saved artifacts (closures cannot be
pickled, and the data would only duplicate what the artifact holds) and rebuilt on first use after
loading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

_Value = TypeVar("_Value")


class _Holder(Generic[_Value]):
    """Keeps a cached value in the instance's ``__dict__`` (under a key of its own, so that the
    descriptor still answers every access); pickles as an empty holder."""

    __slots__ = ("value",)

    def __init__(self, value: _Value | None = None) -> None:
        self.value = value

    def __reduce__(self) -> tuple[type[_Holder[Any]], tuple[()]]:
        return (_Holder, ())


class transient_cached_property(Generic[_Value]):
    """Like :func:`functools.cached_property`, but the value does not survive pickling."""

    def __init__(self, compute: Callable[[Any], _Value]) -> None:
        self._compute = compute
        self._key = f"__transient_{compute.__name__}"
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._key = f"__transient_{name}"

    @overload
    def __get__(self, instance: None, owner: type) -> transient_cached_property[_Value]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> _Value: ...

    def __get__(self, instance: object | None, owner: type) -> _Value | transient_cached_property[_Value]:
        if instance is None:
            return self
        holder: _Holder[_Value] | None = instance.__dict__.get(self._key)
        if holder is None or holder.value is None:
            holder = _Holder(self._compute(instance))
            instance.__dict__[self._key] = holder
        assert holder.value is not None
        return holder.value
