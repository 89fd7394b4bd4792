"""Any change to a plan's content voids its signatures, whichever service (or admin, or import) made it.

Signatures bind to the plan's content hash. Rather than trust every writer to remember that,
these receivers watch every model that is part of the content; progress markers, drafts and
exports are not content and are not watched. A new workflow event is also copied to the security
audit log (accounts.security), which sits below governance and so cannot watch it itself.
"""

from django.db.models.signals import post_delete, post_save

from accounts import security
from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from metrics.models import MetricAmbition, PlannedValue
from plans.models import Answer, ConditionResponse, RelatedDocument, Risk
from schemes.models import Scheme

from .models import PlanEvent

# Models whose rows belong to a plan directly.
DIRECT = [Answer, ConditionResponse, Risk, RelatedDocument, Scheme, IncomeLine, ExpenditureLine, MetricAmbition]
# Models that reach their plan through a parent row: (model, parent attribute, parent model).
INDIRECT = [(ExpenditureAmount, "line", ExpenditureLine), (PlannedValue, "ambition", MetricAmbition)]


def _plan_id(instance) -> int | None:
    if hasattr(instance, "plan_id"):
        return instance.plan_id
    for model, parent, parent_model in INDIRECT:
        if isinstance(instance, model):
            cached = instance._state.fields_cache.get(parent)
            if cached is not None:
                return cached.plan_id
            return (
                parent_model.objects.filter(pk=getattr(instance, f"{parent}_id"))
                .values_list("plan_id", flat=True)
                .first()
            )
    return None


def content_changed(sender, instance, raw=False, **kwargs):
    if raw:  # loading fixtures is not an edit
        return
    plan_id = _plan_id(instance)
    if plan_id is None:
        return
    # Imported here: services imports the PDF and workbook renderers, heavy for app loading.
    from .services import void_signatures_after_edit

    created = kwargs.get("created")
    verb = "deleted" if "created" not in kwargs else ("added" if created else "changed")
    void_signatures_after_edit(
        plan_id=plan_id,
        # Answers and condition responses say who saved them; other rows do not.
        actor_id=getattr(instance, "updated_by_id", None),
        cause=f"{sender._meta.verbose_name} {verb}",
    )


def connect() -> None:
    for model in DIRECT + [model for model, _, _ in INDIRECT]:
        uid = f"governance-void-signatures-{model._meta.label_lower}"
        post_save.connect(content_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(content_changed, sender=model, dispatch_uid=uid + "-delete")
    post_save.connect(_workflow_event, sender=PlanEvent, dispatch_uid="security_workflow_event")


def _workflow_event(sender, instance, created, **kwargs):
    if created:
        security.record_workflow_event(instance)
