from django.urls import path

from . import data_quality, exports, views

app_name = "reports"

urlpatterns = [
    path("import/", views.import_view, name="import"),
    path("import/<int:pk>/", views.import_job_view, name="import_job"),
    path("", views.ReportIndexView.as_view(), name="index"),
    path("data-quality/", data_quality.data_quality, name="data_quality"),
    path(
        "programmes/new/", views.ProgrammeCreateView.as_view(), name="programme_create"
    ),
    path(
        "programmes/<int:pk>/",
        views.ProgrammeDetailView.as_view(),
        name="programme_detail",
    ),
    path(
        "programmes/<int:pk>/edit/",
        views.ProgrammeUpdateView.as_view(),
        name="programme_update",
    ),
    path(
        "programmes/<int:pk>/delete/",
        views.ProgrammeDeleteView.as_view(),
        name="programme_delete",
    ),
    path(
        "programmes/<int:programme_pk>/targets/new/",
        views.TargetFormView.as_view(),
        name="target_create",
    ),
    path(
        "programmes/<int:programme_pk>/targets/<int:pk>/",
        views.TargetFormView.as_view(),
        name="target_update",
    ),
    path(
        "programmes/<int:programme_pk>/targets/<int:pk>/delete/",
        views.TargetDeleteView.as_view(),
        name="target_delete",
    ),
    path("annual/", views.AnnualReportView.as_view(), name="annual"),
    path(
        "funder/<int:fiscal_year>/",
        views.FunderSummaryView.as_view(),
        name="funder_summary",
    ),
    path(
        "funder/<int:fiscal_year>/summary.csv",
        views.FunderSummaryCsvView.as_view(),
        name="funder_summary_csv",
    ),
    *(
        path(
            f"annual/report.{fmt}",
            views.AnnualReportDownloadView.as_view(fmt=fmt),
            name=f"annual_{fmt}",
        )
        for fmt in exports.EXPORT_FORMATS
    ),
]
