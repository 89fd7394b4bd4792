"""The signed-in user and their memberships, read from the database once and then from memory.

Every signed-in page needs the user's row (Django's session check) and their memberships (every rule
and the menu). Reading both from PostgreSQL cost two queries a request, most of the floor page's time.
Here both are kept together in each process's memory under a key that includes a per-user version held
in the shared cache, and any change to the user's row or to one of their memberships replaces that
version (the receivers below). The next
request, in any web process sharing the cache, then misses and reads the database: an ended membership
or a deactivated account takes effect on the next request, as before.

Why a version rather than deleting the entry: a request that read the database just before a change
committed could write its stale copy back after the delete. With a version it writes under the old
key, which nobody reads any more. The version is replaced at once (so the changing request and a test
inside one transaction see the change) and again when the transaction commits (so a copy read between
the two is never used).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Membership, User
from .permissions import Held

ENTRY_SECONDS = 60 * 60  # an unused entry leaves the cache after an hour
VERSION_SECONDS = 24 * 60 * 60  # a lost version is replaced by a new one, never by an old one


def _version_key(user_id) -> str:
    return f"signed-in-user:{user_id}:version"


def _version(user_id) -> str:
    key = _version_key(user_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, VERSION_SECONDS)
        version = cache.get(key)
    return version


def user_with_memberships(user_id) -> User | None:
    """The user (or None) with their memberships already read (accounts.permissions.memberships_of)."""
    entry_key = f"signed-in-user:{user_id}:{_version(user_id)}"
    # The entry itself is kept in each process's own memory: only the version needs the shared
    # cache, and a second round trip to Redis cost more than the rest of the lookup.
    local = caches["process"]
    entry = local.get(entry_key)
    if entry is None:
        user = User._default_manager.filter(pk=user_id).first()
        held = ()
        if user is not None:
            rows = user.memberships.values_list("role", "hwb_area_id", "region_id", "is_lead", "signoff_slot_code")
            held = tuple(Held(*row) for row in rows)
        entry = (user, held)
        local.set(entry_key, entry, ENTRY_SECONDS)
    user, held = entry
    if user is not None:
        user._memberships_held = held
    return user


def forget_user(user_id) -> None:
    """Replace the user's version now and again when the current transaction commits."""

    def replace():
        cache.set(_version_key(user_id), uuid.uuid4().hex, VERSION_SECONDS)

    replace()
    transaction.on_commit(replace)


@receiver([post_save, post_delete], sender=User, dispatch_uid="signed_in_user_changed")
def _user_changed(sender, instance, **kwargs):
    forget_user(instance.pk)


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="signed_in_user_membership_changed")
def _membership_changed(sender, instance, **kwargs):
    forget_user(instance.user_id)


class CachedModelBackend(ModelBackend):
    """Django's model backend, reading the session's user through the cache above."""

    def get_user(self, user_id):
        user = user_with_memberships(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
