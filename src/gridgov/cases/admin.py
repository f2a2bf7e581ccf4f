import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from gridgov.cases import taxonomy
from gridgov.cases.models import CalendarDay, CalendarYear, Category, Department, DepartmentMember, Open311Key
from gridgov.core.errors import Phrase
from gridgov.core.i18n import exc_message, message_of, phrase_text


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = "__all__"

    def clean_stage_limits(self):
        value = self.cleaned_data.get("stage_limits") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_('an object such as {"handle": "3d", "verify": "4h"}'))
        problems = taxonomy.validate_limits(value)
        if problems:
            raise forms.ValidationError("; ".join(phrase_text(p) for p in problems))
        return value

    def clean_attributes(self):
        value = self.cleaned_data.get("attributes") or []
        problems = taxonomy.validate_attributes(value) if isinstance(value, list) else [Phrase("a list of attributes")]
        if problems:
            raise forms.ValidationError("; ".join(phrase_text(p) for p in problems))
        return value


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ("code", "name", "parent", "domain", "urgency", "open311_code", "public",
                    "publish_staff_reports", "active")
    list_filter = ("domain", "urgency", "public", "publish_staff_reports", "active")
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


class CalendarImportForm(forms.Form):
    file = forms.FileField(label=_("schedule (CSV: date,kind,name)"))


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Days overriding the holiday package; "import official schedule" loads a year's State Council
    schedule through the same service as `gridgov calendar import` (audited, all or nothing)."""

    list_display = ("date", "workday", "note")
    list_filter = ("workday",)
    change_list_template = "admin/cases/calendarday/change_list.html"

    def get_urls(self):
        own = [path("import/", self.admin_site.admin_view(self.import_view), name="cases_calendarday_import")]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        from gridgov.cases import selectors

        extra = {"provisional_years": selectors.provisional_years(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def import_view(self, request):
        from gridgov.cases import services
        from gridgov.core.errors import ValidationFailed

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CalendarImportForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read(1_000_000).decode("utf-8-sig")
                result = services.calendar_import(lines=io.StringIO(text), source=upload.name, actor=request.user)
            except UnicodeDecodeError:
                problems = [str(_("the file is not UTF-8 text"))]
            except ValidationFailed as exc:
                problems = [str(_("row %(row)s, %(field)s: %(message)s") % {"row": d.row, "field": d.field,
                                                                            "message": message_of(d)})
                            for d in exc.details] or [exc_message(exc)]
            else:
                self.message_user(request, _("Loaded %(days)d day(s) for %(years)s; deadlines moved in %(n)d open "
                                             "case(s).") % {"days": result["days"], "n": len(result["cases_moved"]),
                                                            "years": "、".join(map(str, result["years"]))},
                                  messages.SUCCESS)
                return redirect("admin:cases_calendarday_changelist")
        context = {**self.admin_site.each_context(request), "title": _("Import an official holiday schedule"),
                   "form": form, "problems": problems, "opts": self.model._meta}
        return render(request, "admin/cases/calendarday/import.html", context)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "days", "source", "loaded_at", "loaded_by")
    readonly_fields = ("year", "days", "source", "loaded_at", "loaded_by")

    def has_add_permission(self, request):
        return False


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
