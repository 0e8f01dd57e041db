"""Included in the consultations namespace (consultations/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "clients/<int:pk>/consents/new/",
        views.ConsentCreateView.as_view(),
        name="consent_create",
    ),
    path(
        "consents/<int:pk>/withdraw/",
        views.ConsentWithdrawView.as_view(),
        name="consent_withdraw",
    ),
    path(
        "clients/<int:pk>/referrals/new/",
        views.ReferralCreateView.as_view(),
        name="referral_create",
    ),
    path(
        "referrals/<int:pk>/",
        views.ReferralDetailView.as_view(),
        name="referral_detail",
    ),
    path(
        "referrals/<int:pk>/answer/",
        views.ReferralAnswerView.as_view(),
        name="referral_answer",
    ),
    path(
        "referrals/<int:pk>/outcome/",
        views.ReferralOutcomeView.as_view(),
        name="referral_outcome",
    ),
    path(
        "referrals/<int:pk>/letter.pdf",
        views.ReferralLetterView.as_view(),
        name="referral_letter",
    ),
]
