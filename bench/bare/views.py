from django.http import HttpResponse
from django.shortcuts import render

from .models import Area


def template(request):
    return render(request, "bare.html", {"title": "Bare Django", "items": range(10)})


def ten_queries(request):
    # Ten separate round trips, each fetching a few rows by primary key through the ORM.
    rows = [list(Area.objects.filter(pk__gte=i * 10).order_by("pk")[:5]) for i in range(10)]
    return HttpResponse(f"{sum(len(r) for r in rows)} rows")
