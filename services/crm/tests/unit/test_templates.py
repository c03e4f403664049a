"""Campaign templates: the three placeholders and doubled braces render; anything else is refused
when the template is read, with where it is."""

import pytest

from crm.templates import PLACEHOLDERS, TemplateError, compile_template, render, validate_template

VALUES = {"first_name": "Ana", "last_name": "Diaz", "restaurant": "La Bodega"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi {first_name}!", "Hi Ana!"),
        ("{first_name} {last_name} at {restaurant}", "Ana Diaz at La Bodega"),
        ("{{first_name}} is literal", "{first_name} is literal"),
        ("a {{ b }} c", "a { b } c"),
        ("{{{first_name}}}", "{Ana}"),
        ("no placeholders", "no placeholders"),
        ("", ""),
        ("{restaurant}{restaurant}", "La BodegaLa Bodega"),
    ],
)
def test_accepted_templates_render(template: str, expected: str) -> None:
    assert render(template, VALUES) == expected


@pytest.mark.parametrize(
    ("template", "position", "words"),
    [
        ("Hi {email}", 3, "unknown placeholder '{email}'"),
        ("Hi {0}", 3, "unknown placeholder '{0}'"),
        ("Hi {}", 3, "empty placeholder"),
        ("{first_name!r}", 0, "unknown placeholder"),
        ("{first_name:>9}", 0, "unknown placeholder"),
        ("{first_name.upper}", 0, "unknown placeholder"),
        ("50% off {", 8, "never closed"),
        ("a { b {first_name}", 2, "never closed"),
        ("a } b", 2, "lone '}'"),
        ("{first_name}}", 12, "lone '}'"),
        ("{ first_name }", 0, "unknown placeholder"),
    ],
)
def test_refused_templates_say_what_and_where(template: str, position: int, words: str) -> None:
    with pytest.raises(TemplateError) as refused:
        validate_template(template)
    assert refused.value.position == position
    assert words in str(refused.value)


def test_a_missing_value_renders_empty_and_values_are_not_templates_again() -> None:
    template = compile_template("Dear {first_name} {last_name}")
    assert template.render({"first_name": "{restaurant}"}) == "Dear {restaurant} "
    assert template.placeholders == {"first_name", "last_name"}


def test_the_placeholders_are_the_three_of_the_issue() -> None:
    assert PLACEHOLDERS == ("first_name", "last_name", "restaurant")


def test_an_oversized_template_is_refused() -> None:
    with pytest.raises(TemplateError):
        validate_template("x" * 10_001)
