"""Settings for the fault tests' worker subprocess: the test settings plus the slow export kind."""

import os

from bcf_portal.settings_test import *  # noqa: F403
from bcf_portal.settings_test import INSTALLED_APPS

MEDIA_ROOT = os.environ["H7_MEDIA_ROOT"]
INSTALLED_APPS = [*INSTALLED_APPS, "tests.security.slow_export.SlowExportConfig"]
