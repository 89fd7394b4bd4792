"""Who may publish open data: national administrators only (django-rules, deny unless a rule allows)."""

import rules

from accounts.permissions import allowed, is_national_admin

rules.set_perm("opendata.publish_round", is_national_admin)


def can_publish_open_data(user) -> bool:
    return allowed(user, "opendata.publish_round")
