from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("import/", views.import_view, name="import"),
]
