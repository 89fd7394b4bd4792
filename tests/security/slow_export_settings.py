"""Settings for the fault tests' worker subprocess: the test settings plus the slow export kind."""

import os

from bcf_portal.settings_test import *  # noqa: F403
from bcf_portal.settings_test import EXPORT_KINDS
from tests.security.slow_export import EXPORT_KINDS as SLOW_KINDS

MEDIA_ROOT = os.environ["H7_MEDIA_ROOT"]
EXPORT_KINDS = {**EXPORT_KINDS, **SLOW_KINDS}
