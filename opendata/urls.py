"""Open data: public pages (no sign-in) for published rounds, and the national admin's publish page."""


app_name = "opendata"

urlpatterns: list = []
