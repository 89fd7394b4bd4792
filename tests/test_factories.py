"""Every model of the project's apps has a factory in tests/factories.py, and each builds a valid saved row."""

import inspect

import factory
import pytest
from django.apps import apps

from tests import factories as f

PROJECT_APPS = (
    "rounds",
    "accounts",
    "plans",
    "schemes",
    "metrics",
    "capacity",
    "finance",
    "governance",
    "monitoring",
    "api",
    "opendata",
)


def concrete_models():
    """The apps' own concrete models. simple_history's Historical* tables are written by the history on
    every save of the model they follow, so they need no factory of their own (checked below)."""
    return [
        model
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy and not model.__name__.startswith("Historical")
    ]


def factories_by_model():
    found = {}
    for _, obj in inspect.getmembers(f, inspect.isclass):
        if issubclass(obj, factory.django.DjangoModelFactory) and obj._meta.model is not None:
            # A model may have several factories (PlanFactory and PlanWithContentFactory): each is built below.
            found.setdefault(obj._meta.get_model_class(), []).append(obj)
    return found


def test_every_model_has_a_factory():
    have = factories_by_model()
    missing = sorted(model._meta.label for model in concrete_models() if model not in have)
    assert missing == []


@pytest.mark.parametrize("model", concrete_models(), ids=lambda model: model._meta.label)
def test_each_factory_builds_a_valid_saved_row(db, model):
    for model_factory in factories_by_model()[model]:
        row = model_factory()
        row.full_clean()
        assert model.objects.filter(pk=row.pk).exists(), model_factory.__name__
        history = getattr(model, "history", None)
        if history is not None:
            assert history.filter(id=row.pk).exists(), "saving a row records its history"
