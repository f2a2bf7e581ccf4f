from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from gridgov.cases import taxonomy
from gridgov.cases.models import CalendarDay, Category, Department, DepartmentMember, Open311Key


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = "__all__"

    def clean_stage_limits(self):
        value = self.cleaned_data.get("stage_limits") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError('an object such as {"handle": "3d", "verify": "4h"}')
        problems = taxonomy.validate_limits(value)
        if problems:
            raise forms.ValidationError("; ".join(problems))
        return value

    def clean_attributes(self):
        value = self.cleaned_data.get("attributes") or []
        problems = taxonomy.validate_attributes(value) if isinstance(value, list) else ["a list of attributes"]
        if problems:
            raise forms.ValidationError("; ".join(problems))
        return value


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ("code", "name", "parent", "domain", "urgency", "open311_code", "public", "active")
    list_filter = ("domain", "urgency", "public", "active")
    search_fields = ("code", "name", "name_en", "open311_code")
    ordering = ("code",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "jurisdiction", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")


@admin.register(DepartmentMember)
class DepartmentMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "department")
    autocomplete_fields = ("department",)
    raw_id_fields = ("user",)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "workday", "note")
    list_filter = ("workday",)


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    """Keys are made with `gridgov open311-key create` and revoked (never deleted: the cases they
    submitted keep them, Case.open311_key is PROTECT); the hourly limit may be changed here."""

    list_display = ("name", "prefix", "max_per_hour", "case_count", "created_at", "revoked_at")
    readonly_fields = ("name", "prefix", "digest", "created_at", "case_count")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_case_count=Count("cases"))

    @admin.display(description=_("events"), ordering="_case_count")
    def case_count(self, obj) -> int:
        return obj._case_count

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
