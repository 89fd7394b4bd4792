"""The layers hold in fact, not only for the imports import-linter can see.

import-linter (pyproject.toml) checks `import` statements. An app can still reach a higher app by a
string: `apps.get_model("governance", "SignOff")`, `import_string("finance.workbook.render")`, a
signal receiver with `sender="governance.PlanEvent"`, a foreign key to "finance.IncomeLine". These
tests read every module of application code (not migrations, not tests) and fail on any such string
that names an app above the module's own, or an independent sibling (schemes | metrics), and on a
dynamic one whose target cannot be read at all. The layer order is import-linter's layers contract,
so there is one list to keep.

They also fail on any model-save receiver (post_save, pre_save, post_delete, pre_delete) outside
ALLOWED_SAVE_RECEIVERS: side effects are called by services, not overheard; receivers are for
infrastructure such as cache invalidation.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Modules that may connect model-save receivers, and why. Remove an entry when its module stops.
ALLOWED_SAVE_RECEIVERS = {
    # Cache invalidation: a round's configuration is cached per process; any change to it, an admin
    # edit included, gives the round a new config_version.
    "rounds/config.py": "round configuration cache",
    # Cache invalidation: the signed-in user and their memberships are cached under a per-user version;
    # any change to either, an admin edit or a cascade included, replaces the version.
    "accounts/backends.py": "signed-in user cache",
}
SAVE_SIGNALS = {"post_save", "pre_save", "post_delete", "pre_delete"}
MODEL_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


def layer_levels() -> dict[str, tuple[int, int]]:
    """App -> (level from the bottom, position within the level), from import-linter's layers contract."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    levels = {}
    for level, layer in enumerate(reversed(contract["layers"])):
        for position, app in enumerate(name.strip() for name in layer.split("|")):
            levels[app] = (level, position)
    return levels


LEVELS = layer_levels()
APPS = sorted(LEVELS)


def application_modules() -> list[Path]:
    modules = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                modules.append(path)
    return modules


def reachable(source_app: str, target_app: str) -> bool:
    """May code in source_app name target_app? Its own app and lower layers only; apps outside the
    layers (Django's, third parties') are not this test's business."""
    if target_app not in LEVELS or target_app == source_app:
        return True
    return LEVELS[target_app][0] < LEVELS[source_app][0]


@dataclass(frozen=True)
class Finding:
    where: str
    what: str

    def __str__(self):
        return f"{self.where}: {self.what}"


def _literal(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _name(node) -> str:
    """`post_save` for post_save, signals.post_save and django.db.models.signals.post_save."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _signals_in(node) -> set[str]:
    """The save signals named by a receiver's first argument: one signal, or a list or tuple of them."""
    items = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
    return {_name(item) for item in items} & SAVE_SIGNALS


def disguised_imports(source: str, app: str, where: str) -> list[Finding]:
    """Strings in `source` (a module of `app`) that name a higher app, and dynamic lookups that cannot be read."""
    findings = []

    def check(target: str | None, node, kind: str):
        line = f"{where}:{node.lineno}"
        if target is None:
            findings.append(Finding(line, f"{kind} of a name that is not a literal string (an import in disguise)"))
            return
        target_app = target.split(".")[0]
        if not reachable(app, target_app):
            findings.append(Finding(line, f"{kind} {target!r}: {target_app} is above {app} (or beside it)"))

    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        function = _name(node.func)
        args = node.args
        if function == "get_model":
            # apps.get_model("app", "Model") or apps.get_model("app.Model")
            check(_literal(args[0]) if args else None, node, "get_model")
        elif function in ("import_string", "import_module"):
            check(_literal(args[0]) if args else None, node, function)
        elif function in MODEL_FIELDS and args and _literal(args[0]) and "." in _literal(args[0]):
            check(_literal(args[0]), node, f"{function} to")
        for keyword in node.keywords:
            if keyword.arg == "sender" and isinstance(keyword.value, ast.Constant):
                check(_literal(keyword.value), node, "signal sender")
            if function in MODEL_FIELDS and keyword.arg == "to" and _literal(keyword.value):
                check(_literal(keyword.value), node, f"{function} to")
    return findings


def save_receivers(source: str, where: str) -> list[Finding]:
    """Every connection of a receiver to a model-save signal: signal.connect(...) and @receiver(signal, ...)."""
    findings = []
    for node in ast.walk(ast.parse(source)):
        is_connect = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
        if is_connect and _name(node.func.value) in SAVE_SIGNALS:
            findings.append(Finding(f"{where}:{node.lineno}", f"{_name(node.func.value)}.connect("))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and _name(decorator.func) == "receiver" and decorator.args:
                    for signal in sorted(_signals_in(decorator.args[0])):
                        findings.append(Finding(f"{where}:{decorator.lineno}", f"@receiver({signal}, ...)"))
    return findings


def _app_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def test_the_layers_are_read_from_the_import_linter_contract():
    assert LEVELS["rounds"][0] < LEVELS["accounts"][0] < LEVELS["plans"][0] < LEVELS["schemes"][0]
    assert LEVELS["schemes"][0] == LEVELS["metrics"][0] < LEVELS["finance"][0] < LEVELS["governance"][0]
    assert LEVELS["governance"][0] < LEVELS["monitoring"][0] < LEVELS["demo"][0]
    assert LEVELS["capacity"][0] == LEVELS["metrics"][0]
    assert {
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
        "demo",
    } == set(APPS)


def test_no_application_code_names_a_higher_app_by_a_string():
    findings = []
    for path in application_modules():
        where = str(path.relative_to(ROOT))
        findings += disguised_imports(path.read_text(), _app_of(path), where)
    assert not findings, "Imports in disguise (import the lower app, or move the code up):\n" + "\n".join(
        map(str, findings)
    )


def test_model_save_receivers_only_in_the_allowed_modules():
    found: dict[str, list[Finding]] = {}
    for path in application_modules():
        where = str(path.relative_to(ROOT))
        if receivers := save_receivers(path.read_text(), where):
            found[where] = receivers
    unexpected = [str(f) for where, fs in found.items() if where not in ALLOWED_SAVE_RECEIVERS for f in fs]
    assert not unexpected, (
        "Model-save receivers are for infrastructure (history, caches); call the side effect from the "
        "service instead:\n" + "\n".join(unexpected)
    )
    stale = sorted(set(ALLOWED_SAVE_RECEIVERS) - set(found))
    assert not stale, (
        f"These modules no longer connect save receivers: remove them from ALLOWED_SAVE_RECEIVERS: {stale}"
    )


# --- The scan itself finds what it must --------------------------------------------------------

SAMPLE = """
from django.apps import apps
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver
from django.utils.module_loading import import_string

signoff = apps.get_model("governance", "SignOff")
event = apps.get_model("governance.PlanEvent")
region = apps.get_model("rounds", "Region")
render = import_string("finance.workbook.render_plan_workbook")
dynamic = import_string(settings.SOMETHING)
answer = models.ForeignKey("schemes.Scheme", on_delete=models.CASCADE)
area = models.ForeignKey(to="rounds.HwbArea", on_delete=models.CASCADE)

@receiver(post_save, sender="governance.PlanEvent")
def copied(sender, instance, **kwargs):
    pass

@receiver([pre_delete, post_save], sender=Answer)
def watched(sender, instance, **kwargs):
    pass

post_save.connect(copied, sender=Answer)
"""


@pytest.mark.parametrize(
    ("expected", "line"),
    [
        ("get_model 'governance'", 7),
        ("get_model 'governance.PlanEvent'", 8),
        ("import_string 'finance.workbook.render_plan_workbook'", 10),
        ("import_string of a name that is not a literal string", 11),
        ("ForeignKey to 'schemes.Scheme'", 12),
        ("signal sender 'governance.PlanEvent'", 15),
    ],
)
def test_the_scan_finds_each_kind_of_disguised_import(expected, line):
    findings = disguised_imports(SAMPLE, "plans", "sample.py")
    assert any(f.where == f"sample.py:{line}" and f.what.startswith(expected) for f in findings), findings


def test_the_scan_lets_an_app_name_itself_and_lower_apps():
    findings = {f.where for f in disguised_imports(SAMPLE, "plans", "sample.py")}
    assert "sample.py:9" not in findings and "sample.py:13" not in findings  # rounds is below plans
    assert not disguised_imports(SAMPLE.replace("dynamic = import_string(settings.SOMETHING)", ""), "demo", "x.py")


def test_the_scan_finds_every_kind_of_save_receiver():
    found = sorted(str(f) for f in save_receivers(SAMPLE, "sample.py"))
    assert found == [
        "sample.py:15: @receiver(post_save, ...)",
        "sample.py:19: @receiver(post_save, ...)",
        "sample.py:19: @receiver(pre_delete, ...)",
        "sample.py:23: post_save.connect(",
    ]
