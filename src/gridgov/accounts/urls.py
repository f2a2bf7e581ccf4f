from django.urls import path

from gridgov.accounts import account_views, twofactor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", account_views.password_change, name="password_change"),
    path("sessions/", account_views.session_list, name="sessions"),
    path("sessions/end-others/", account_views.session_end_others, name="sessions_end_others"),
    path("sessions/<int:session_id>/end/", account_views.session_end, name="session_end"),
    path("users/", account_views.user_list, name="users"),
    path("users/<int:user_id>/", account_views.user_detail, name="user_detail"),
    path("users/<int:user_id>/password-reset/", account_views.user_password_reset, name="user_password_reset"),
    path("users/<int:user_id>/end-sessions/", account_views.user_sessions_end, name="user_sessions_end"),
    # two-factor sign-in and step-up (twofactor_views.py; the paths an unverified user may open
    # are listed in twofactor_middleware.OPEN_PREFIXES)
    path("two-factor/", twofactor_views.manage, name="twofactor_manage"),
    path("two-factor/verify/", twofactor_views.verify, name="twofactor_verify"),
    path("two-factor/enrol/", twofactor_views.enrol, name="twofactor_enrol"),
    path("two-factor/enrol/qr.svg", twofactor_views.enrol_qr, name="twofactor_qr"),
    path("two-factor/recovery-codes/", twofactor_views.recovery_renew, name="twofactor_recovery_renew"),
    path("confirm/", twofactor_views.confirm, name="confirm"),
]
