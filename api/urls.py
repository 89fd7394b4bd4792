"""The national data API (/api/v1/) and the pages where users manage their API tokens."""

app_name = "api"

urlpatterns: list = []
