"""Helpers for driving the plan pages like a commissioner: fill whatever a form asks for.

The section pages are generated from the round's configuration, so the journey fills them
by what each field is (textarea, money, date, radios, select) rather than by a fixed list
of labels; a new question in the round's fixture is then covered without editing the test.
"""

import re

from playwright.sync_api import Page, expect

NARRATIVE = (
    "## How we will work together\n\n"
    "Partners agreed this through the Health and Wellbeing Board:\n\n"
    "- joint assessment and discharge\n- seven-day services\n\n"
    "| Year | Reduction in admissions |\n|---|---|\n| 2015/16 | 3.5% |"
)


def errors_on(page: Page) -> str:
    summary = page.locator(".govuk-error-summary")
    return summary.inner_text() if summary.count() else ""


def fill_form(page: Page, form_selector: str = "main form[data-autosave-form]", pick: str = "first") -> None:
    """Give every empty field of the form a realistic value; leave what is already filled.

    `pick` chooses the first or last option of empty selects (a second try with "last"
    avoids a row that would duplicate one already in the plan).
    """
    form = page.locator(form_selector).first
    for select in form.locator("select").all():
        if (select.get_attribute("name") or "").endswith("sub_type"):
            continue  # chosen below, to fit the scheme type
        if pick == "last" or not select.input_value():
            values = select.locator("option").evaluate_all("os => os.map(o => o.value).filter(v => v)")
            if values:
                select.select_option(values[-1] if pick == "last" else values[0])
    _choose_sub_type(form)
    for textarea in form.locator("textarea:visible").all():
        if not textarea.input_value().strip():
            textarea.fill(NARRATIVE)
    for group in form.locator(".govuk-date-input").all():
        legend = group.locator("xpath=ancestor::fieldset[1]/legend").inner_text()
        inputs = group.locator("input").all()
        if "When will" in legend or any(i.input_value() for i in inputs):
            continue  # a target date is only for conditions still in progress
        for field, value in zip(inputs, ("1", "4", "2014"), strict=False):
            field.fill(value)
    fields = "input[type=text]:visible, input[type=url]:visible, input[type=number]:visible, input:not([type]):visible"
    for field in form.locator(fields).all():
        classes = field.get_attribute("class") or ""
        if "govuk-date-input__input" in classes or field.input_value().strip():
            continue
        if field.get_attribute("type") == "url":
            field.fill("https://www.england.nhs.uk/ourwork/part-rel/transformation-fund/")
        elif "percent" in (field.get_attribute("name") or ""):
            if _jointly_commissioned(form):
                field.fill("50")  # jointly commissioned: 50% NHS and 50% local authority
        elif re.search(r"_(numerator|denominator)$", field.get_attribute("name") or ""):
            continue  # a metric's value is typed; a numerator and denominator would have to agree with it
        elif re.fullmatch(r"(baseline|planned_\d+)_value", field.get_attribute("name") or ""):
            field.fill("50")  # fits a metric in any unit: a rate, a percentage, a count or days
        elif field.get_attribute("inputmode") in ("decimal", "numeric") or field.get_attribute("type") == "number":
            field.fill("250000")
        elif re.search(r"value|numerator|denominator|amount", field.get_attribute("name") or ""):
            field.fill("672.3")  # a figure typed into a plain text box
        else:
            name = field.get_attribute("name") or ""
            field.fill("P" + str(abs(hash(name)) % 1000) if "ref" in name else "Joint commissioning team")
    names = set(form.locator("input[type=radio]").evaluate_all("els => els.map(e => e.name)"))
    for name in sorted(names):
        radios = form.locator(f"input[type=radio][name='{name}']")
        if not radios.evaluate_all("els => els.some(e => e.checked)"):
            radios.first.check()
    for box in form.locator("input[type=checkbox]").all():
        if not box.is_checked():
            box.check()


def _selected_label(form, name: str) -> str:
    select = form.locator(f"select[name$='{name}']")
    return select.first.evaluate("s => s.selectedOptions[0] ? s.selectedOptions[0].text : ''") if select.count() else ""


def _jointly_commissioned(form) -> bool:
    """A split is given only on a joint line (the round's split rules refuse it elsewhere)."""
    return "joint" in _selected_label(form, "commissioner").lower()


def _choose_sub_type(form) -> None:
    """A sub-type of the chosen scheme type (options read "Type: sub-type"), or none when it has none."""
    select = form.locator("select[name$='sub_type']")
    if not select.count() or select.first.input_value():
        return
    scheme_type = _selected_label(form, "scheme_type")
    options = select.first.locator("option").evaluate_all("os => os.map(o => [o.value, o.text])")
    fitting = [value for value, text in options if value and text.startswith(f"{scheme_type}: ")]
    if fitting:
        select.first.select_option(fitting[0])


def click_and_expect_no_errors(page: Page, button_name: str) -> None:
    page.get_by_role("button", name=button_name, exact=True).first.click()
    page.wait_for_load_state()
    problems = errors_on(page)
    assert not problems, f"{button_name!r} on {page.url} showed errors:\n{problems}"


def expect_task_list_complete(page: Page) -> None:
    count = page.locator("#completed-count")
    text = count.inner_text()
    done, _, rest = text.partition(" of ")
    total = rest.split(" ")[0]
    assert done == total, f"Task list says: {text}"
    for status in page.locator(".govuk-task-list__status").all():
        expect(status).to_have_text("Completed")
