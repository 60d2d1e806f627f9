from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usm_indicators.computation.formula import (
    BinaryOp,
    FormulaError,
    Negate,
    Node,
    Number,
    Reference,
    evaluate,
    parse,
    references,
)

HOMICIDES = Reference("HOMICIDES")
FEMALE_HOMICIDES = Reference("HOMICIDES", (("sex", "female"),))
POPULATION = Reference("POPULATION")


def test_a_rate_parses_with_precedence() -> None:
    tree = parse("#{HOMICIDES} / #{POPULATION} * 100000")
    assert tree == BinaryOp("*", BinaryOp("/", HOMICIDES, POPULATION), Number(Fraction(100000)))
    values = {HOMICIDES: Fraction(12), POPULATION: Fraction(240000)}
    assert evaluate(tree, values) == Fraction(5)


def test_filters_parentheses_and_unary_minus() -> None:
    tree = parse("-(#{HOMICIDES.sex=female} - 2.5) * -2")
    assert references(tree) == {FEMALE_HOMICIDES}
    # -(7 - 2.5) * -2 = 9
    assert evaluate(tree, {FEMALE_HOMICIDES: Fraction(7)}) == Fraction(9)


def test_filters_are_kept_in_dimension_order() -> None:
    tree = parse("#{HOMICIDES.age_band=15-24.sex=male}")
    assert tree == Reference("HOMICIDES", (("sex", "male"), ("age_band", "15-24")))
    assert str(tree) == "#{HOMICIDES.sex=male.age_band=15-24}"


def test_division_by_zero_and_missing_data_give_no_value() -> None:
    tree = parse("#{HOMICIDES} / #{POPULATION}")
    assert evaluate(tree, {HOMICIDES: Fraction(3), POPULATION: Fraction(0)}) is None
    assert evaluate(tree, {HOMICIDES: Fraction(3)}) is None
    assert evaluate(parse("1 / (2 - 2)"), {}) is None


@pytest.mark.parametrize(
    ("source", "position"),
    [
        ("", 0),
        ("1 +", 3),
        ("(1 + 2", 6),
        ("1 2", 2),
        ("#{homicides}", 2),
        ("#{HOMICIDES", 0),
        ("#{HOMICIDES.colour=red}", 12),
        ("#{HOMICIDES.sex=female.sex=male}", 23),
        ("__import__('os')", 0),
        ("1 ** 2", 3),
        (")", 0),
    ],
)
def test_errors_say_where(source: str, position: int) -> None:
    with pytest.raises(FormulaError) as raised:
        parse(source)
    assert raised.value.position == position


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(FormulaError):
        parse("(" * 300 + "1" + ")" * 300)
    with pytest.raises(FormulaError):
        parse("-" * 300 + "1")


ALPHABET = "#{}()+-*/. =0123456789ABHOPSxefmalsg_"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60) | st.text(max_size=40))
def test_random_text_only_ever_raises_formula_error(source: str) -> None:
    try:
        tree = parse(source)
    except FormulaError:
        return
    evaluate(tree, lambda reference: Fraction(1))


CODES = ("A", "B", "C")


def trees() -> st.SearchStrategy[Node]:
    leaves = st.one_of(
        st.integers(min_value=0, max_value=1000).map(lambda value: Number(Fraction(value))),
        st.sampled_from(CODES).map(Reference),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            children.map(Negate),
            st.tuples(st.sampled_from("+-*/"), children, children).map(
                lambda parts: BinaryOp(*parts)
            ),
        ),
        max_leaves=20,
    )


def render(node: Node) -> str:
    """Fully parenthesised source of a tree."""
    if isinstance(node, Number):
        return str(node.value)
    if isinstance(node, Reference):
        return str(node)
    if isinstance(node, Negate):
        return f"-({render(node.operand)})"
    return f"({render(node.left)} {node.operator} {render(node.right)})"


class NoValue(Exception):
    pass


def reference_value(node: Node, values: dict[str, Fraction]) -> Fraction:
    """The arithmetic done directly in Python, independently of the evaluator."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Reference):
        return values[node.code]
    if isinstance(node, Negate):
        return -reference_value(node.operand, values)
    left = reference_value(node.left, values)
    right = reference_value(node.right, values)
    if node.operator == "/" and right == 0:
        raise NoValue
    return {
        "+": lambda: left + right,
        "-": lambda: left - right,
        "*": lambda: left * right,
        "/": lambda: left / right,
    }[node.operator]()


@settings(max_examples=300, deadline=None)
@given(trees(), st.lists(st.integers(min_value=-50, max_value=50), min_size=3, max_size=3))
def test_arithmetic_matches_python_fractions(tree: Node, numbers: list[int]) -> None:
    values = {code: Fraction(number) for code, number in zip(CODES, numbers, strict=True)}
    try:
        expected: Fraction | None = reference_value(tree, values)
    except NoValue:
        expected = None
    parsed = parse(render(tree))
    assert evaluate(parsed, lambda reference: values[reference.code]) == expected
