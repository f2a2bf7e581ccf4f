from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect

from gridgov.accounts.models import ApiToken, Membership, Role, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "display_name", "is_active", "is_staff", "locked_until")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("gridgov", {"fields": ("display_name", "failed_login_count",
                                                                   "locked_until", "must_change_password")}))

    def user_change_password(self, request, id, form_url=""):
        """Passwords change on gridgov's pages (policy, history, audit, forced change after a reset):
        one's own on the change page, another user's by a reset on the user's page."""
        if str(request.user.pk) == str(id):
            return redirect("accounts:password_change")
        return redirect("accounts:user_detail", user_id=id)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("digest", "prefix")
