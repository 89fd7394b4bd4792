"""What an API caller may read: the pages' own object rules, narrowed by the token's scope.

The rules are not copied here: plans come from plans.selectors.plans_for_user and returns from
monitoring.selectors.returns_for_user, exactly as the pages fetch them. A token can only narrow
what its user may read (a region-scoped token: that region's plans), never widen it.
"""

from django.db.models import QuerySet

from accounts.models import User
from monitoring.models import Return
from monitoring.selectors import returns_for_user
from plans.models import Plan
from plans.selectors import plans_for_user

from .models import ApiToken


def _region_id(token: ApiToken | None) -> int | None:
    if token is not None and token.scope == ApiToken.Scope.REGION:
        return token.region_id
    return None


def scoped_plans(user: User, token: ApiToken | None) -> QuerySet[Plan]:
    """Every plan the user may read on the pages, within the token's scope."""
    plans = plans_for_user(user)
    region_id = _region_id(token)
    return plans if region_id is None else plans.filter(hwb_area__region_id=region_id)


def scoped_returns(user: User, token: ApiToken | None) -> QuerySet[Return]:
    """Every monitoring return the user may read on the pages, within the token's scope."""
    returns = returns_for_user(user)
    region_id = _region_id(token)
    return returns if region_id is None else returns.filter(plan__hwb_area__region_id=region_id)
