"""How the portal talks to PostgreSQL: prepared statements on each kept connection (bcf_portal/settings.py)."""

import re

import pytest
from django.db import connection

from accounts.models import User


@pytest.mark.django_db
def test_a_query_a_connection_keeps_running_is_prepared_by_postgresql_not_planned_afresh_each_time():
    assert connection.vendor == "postgresql"
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    for number in range(8):
        # Different parameters, one statement: the server binds them, so the text is the same each time.
        assert not User.objects.filter(email=f"nobody{number}@example.org").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ['%"accounts_user"%'])
        prepared = [row[0] for row in cursor.fetchall()]
    assert any(re.search(r'"accounts_user"\."email" = \$\d', statement) for statement in prepared), prepared
