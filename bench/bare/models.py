from django.db import models


class Area(models.Model):
    """The portal's HWB areas table, read as it is (the bare app creates and migrates nothing)."""

    name = models.CharField(max_length=200)
    ons_code = models.CharField(max_length=9)

    class Meta:
        managed = False
        db_table = "rounds_hwbarea"
