"""Metric values are stored to four places but shown as entered."""

from decimal import Decimal

from plans.templatetags.plan_tags import plain_number


def test_a_stored_metric_value_is_shown_without_trailing_zeros():
    assert plain_number(Decimal("712.6000")) == "712.6"
    assert plain_number(Decimal("690.0000")) == "690"
    assert plain_number(Decimal("0.1250")) == "0.125"
    assert plain_number(Decimal("1000")) == "1000"


def test_no_value_is_shown_as_nothing():
    assert plain_number(None) == ""
    assert plain_number("") == ""
