from django.urls import path

from gridgov.accounts import twofactor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    # two-factor sign-in and step-up (twofactor_views.py; the paths an unverified user may open
    # are listed in twofactor_middleware.OPEN_PREFIXES)
    path("two-factor/", twofactor_views.manage, name="twofactor_manage"),
    path("two-factor/verify/", twofactor_views.verify, name="twofactor_verify"),
    path("two-factor/enrol/", twofactor_views.enrol, name="twofactor_enrol"),
    path("two-factor/enrol/qr.svg", twofactor_views.enrol_qr, name="twofactor_qr"),
    path("two-factor/recovery-codes/", twofactor_views.recovery_renew, name="twofactor_recovery_renew"),
    path("confirm/", twofactor_views.confirm, name="confirm"),
]
