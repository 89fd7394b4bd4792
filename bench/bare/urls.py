from django.urls import path

from . import views

urlpatterns = [
    path("template/", views.template),
    path("ten-queries/", views.ten_queries),
]
