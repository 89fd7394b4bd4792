"""A controllable export kind for the fault tests: slow (to be killed mid-render), fast, or failing once.

The worker subprocess and the test share a control directory (H7_CONTROL_DIR): the test writes
the mode there, and the renderer leaves a "started" marker when it begins. The test adds the kind to
governance.exports.EXPORT_KINDS itself; the worker, started with tests.security.slow_export_settings,
has SlowExportConfig add it when the app registry is ready.
"""

import os
import time
from pathlib import Path

from django.apps import AppConfig

CONTENT = b"H7 slow export\n"


def _dir() -> Path:
    return Path(os.environ["H7_CONTROL_DIR"])


def set_mode(directory: Path, mode: str) -> None:
    (directory / "mode.txt").write_text(mode)
    (directory / "started").unlink(missing_ok=True)


def started(directory: Path) -> bool:
    return (directory / "started").exists()


def read(plan):
    """This kind reads nothing more: the plan itself is what it renders and hashes."""
    return plan


def content_hash(plan) -> str:
    return f"slow-{plan.pk}"


def render(plan) -> bytes:
    directory = _dir()
    mode = (directory / "mode.txt").read_text().strip()
    (directory / "started").write_text(str(os.getpid()))
    if mode == "slow":
        time.sleep(120)  # killed long before this ends
    if mode == "fail-once" and not (directory / "failed-once").exists():
        (directory / "failed-once").write_text("1")
        raise RuntimeError("The first try fails (test)")
    return CONTENT


def slow_kind():
    from governance.exports import ExportKind

    return ExportKind(
        key="slow",
        read=read,
        render=render,
        content_hash=content_hash,
        content_type="text/plain",
        extension="txt",
        label="Slow test export",
    )


class SlowExportConfig(AppConfig):
    """Installed only in the fault tests' worker (slow_export_settings): registers the slow kind there."""

    name = "tests.security"
    label = "slow_export"

    def ready(self):
        from governance.exports import EXPORT_KINDS

        EXPORT_KINDS["slow"] = slow_kind()
