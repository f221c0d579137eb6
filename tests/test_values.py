"""zenconfig.values: read-only records compared, hashed and shown by their fields."""

from __future__ import annotations

import pytest

from zenconfig.values import Value


class Point(Value):
    __slots__ = ("x", "y")
    x: int
    y: object

    def __init__(self, x: int, y: object = None) -> None:
        self._set(x=x, y=y)


class OtherPoint(Value):
    __slots__ = ("x", "y")
    x: int
    y: object

    def __init__(self, x: int, y: object = None) -> None:
        self._set(x=x, y=y)


def test_fields_are_set_once_and_read_only() -> None:
    point = Point(1, "a")
    assert (point.x, point.y) == (1, "a")
    with pytest.raises(AttributeError, match=r"^Point is read-only$"):
        point.x = 2
    with pytest.raises(AttributeError, match=r"^Point is read-only$"):
        point.z = 3  # type: ignore[attr-defined]
    assert point.x == 1
    assert not hasattr(point, "__dict__")  # slots only: nothing else can be attached


def test_a_field_cannot_be_deleted() -> None:
    point = Point(1, "a")
    with pytest.raises(AttributeError, match=r"^Point is read-only$"):
        del point.x


def test_equal_by_type_and_fields_and_hashed_alike() -> None:
    assert Point(1, "a") == Point(1, "a")
    assert Point(1, "a") != Point(1, "b")
    assert Point(1, "a") != OtherPoint(1, "a")  # same fields, another record
    assert Point(1, "a") != (1, "a")
    assert hash(Point(1, "a")) == hash(Point(1, "a"))
    assert len({Point(1, "a"), Point(1, "a"), Point(2, "a")}) == 2
    assert {Point(1): "one"}[Point(1)] == "one"
    with pytest.raises(TypeError):  # an unhashable field makes an unhashable record
        hash(Point(1, ["list"]))


def test_repr_names_the_type_and_every_field() -> None:
    assert repr(Point(1, "a")) == "Point(x=1, y='a')"
    assert repr(Point(2)) == "Point(x=2, y=None)"
