"""Money as people type it: the one parser and form field behind every amount in the portal.

Part 1 money answers, income and expenditure lines and allocations (through the model field's
formfield) all use `MoneyField`, so "£3,945,000", "3,945,000" and "3 945 000" mean the same
everywhere, and a refusal says what is expected.
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms

MAX_AMOUNT = Decimal("100000000.00")
MONEY_HINT = "In pounds, for example £3,945,000"
MONEY_INVALID = "Enter an amount in pounds, for example £3,945,000 or 1500.50"

# Whole pounds as digits, or in groups of three split by commas or spaces; then optional pence.
_AMOUNT = re.compile(r"-?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?")


def parse_pounds(value) -> Decimal | None:
    """An amount in pounds to the penny from what was typed (or a number); None when blank.

    Raises forms.ValidationError with a message that says what to type instead.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise forms.ValidationError(MONEY_INVALID, code="invalid")
    if isinstance(value, (int, Decimal)):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)  # a spreadsheet's float, read as written: never through binary arithmetic
    else:
        text = str(value).strip()
        if not text:
            return None
        text = text.removeprefix("£").strip()
        if text.startswith("-£"):
            text = "-" + text[2:]
        # Spaces (also no-break and thin ones) separate thousands, as commas do.
        text = ",".join(text.split())
    if not _AMOUNT.fullmatch(text):
        raise forms.ValidationError(MONEY_INVALID, code="invalid")
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise forms.ValidationError(MONEY_INVALID, code="invalid") from None
    if amount < 0:
        raise forms.ValidationError("Enter an amount of £0 or more", code="min_value")
    if amount > MAX_AMOUNT:
        raise forms.ValidationError("Enter an amount of £100,000,000 or less", code="max_value")
    if amount.as_tuple().exponent < -2:
        raise forms.ValidationError(
            "Enter an amount in pounds and pence, with no more than 2 decimal places", code="max_decimal_places"
        )
    return amount.quantize(Decimal("0.01"))


class MoneyField(forms.CharField):
    """Pounds to the penny, typed with or without £, commas or spaces; never a float.

    A text box, not a number box, so the browser keeps whatever was typed and the page can say
    what is wrong with it.
    """

    default_error_messages = {"required": "Enter an amount"}

    def __init__(self, **kwargs):
        kwargs["help_text"] = kwargs.get("help_text") or MONEY_HINT
        for name in ("max_digits", "decimal_places", "max_value", "min_value", "localize"):
            kwargs.pop(name, None)  # passed by the model field's formfield(); the parser enforces them
        super().__init__(**kwargs)
        self.gds_kind = "money"
        self.widget.attrs.update(
            {"class": "govuk-input govuk-input--width-10", "inputmode": "decimal", "spellcheck": "false"}
        )

    def to_python(self, value):
        return parse_pounds(super().to_python(value))
