"""两个实有: actual population and actual housing. Data and invariants only.

Every row with personal data carries ``grid_code`` (15 digits, indexed): scoping is a prefix test
on it. Identity numbers are stored normalised (18 characters) for the audited "reveal" and with a
keyed HMAC blind index (``id_hmac``) that serves lookup and uniqueness; nothing outside the reveal
returns the number itself (see ``registry.masking``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import Versioned
from gridgov.registry import codes


def _choices(table: dict[str, str]) -> list[tuple[str, str]]:
    return list(table.items())


class House(Versioned):
    """A house (实有房屋): the anchor of 以房管人."""

    house_code = models.CharField(_("house code"), max_length=32, unique=True)
    address = models.CharField(_("standard address"), max_length=200)
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    building_use = models.CharField(_("building use"), max_length=2, choices=_choices(codes.BUILDING_USE),
                                    default="01")
    area_m2 = models.FloatField(_("floor area (m²)"), null=True, blank=True)
    rented = models.BooleanField(_("rented"), default=False)
    owner_name = models.CharField(_("owner"), max_length=64, blank=True)
    owner_doc_type = models.CharField(max_length=3, choices=_choices(codes.DOC_TYPE), blank=True)
    owner_doc_number = models.CharField(max_length=32, blank=True)
    owner_phone = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["house_code"]
        verbose_name = _("house")
        verbose_name_plural = _("houses")

    def __str__(self) -> str:
        return f"{self.address} ({self.house_code})"


class Person(Versioned):
    """A resident (实有人口). ``grid_code``/``house`` are the current residence (denormalised from
    the open ``Residence``); after a move out of the city they keep the last place."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("living here")
        MOVED_OUT = "moved_out", _("moved out")
        DECEASED = "deceased", _("deceased")

    identity_number = models.CharField(max_length=18, null=True, blank=True,
                                       help_text="normalised GB 11643 number; revealed only with a reason")
    id_hmac = models.CharField(max_length=64, null=True, blank=True, unique=True,
                               help_text="keyed HMAC-SHA256 blind index of the identity number")
    id_last4 = models.CharField(max_length=4, blank=True, db_index=True)
    doc_type = models.CharField(_("document type"), max_length=3, choices=_choices(codes.DOC_TYPE),
                                default=codes.DOC_ID_CARD)
    doc_number = models.CharField(_("document number"), max_length=32, blank=True,
                                  help_text="for persons without an identity number (foreigners, newborns)")
    name = models.CharField(_("name"), max_length=64, db_index=True)
    former_name = models.CharField(_("former name"), max_length=64, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=_choices(codes.SEX), default="0")
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=_choices(codes.ETHNICITY), blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, default="CN", help_text="GB/T 2659 alpha-2")
    hukou_division = models.CharField(_("hukou division code"), max_length=12, blank=True,
                                      help_text="GB/T 2260: 6 (county) or 12 (community) digits")
    hukou_address = models.CharField(_("hukou address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    population_type = models.CharField(_("population type"), max_length=2,
                                       choices=_choices(codes.POPULATION_TYPE), default=codes.POP_HUJI)
    household_separated = models.BooleanField(_("household separated (人户分离)"), default=False,
                                              help_text="derived: hukou place differs from residence")
    empty_registration = models.BooleanField(_("empty registration (空挂户)"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # no index of its own: registry_person_grid_name (grid_code, name) serves every grid prefix scan
    grid_code = models.CharField(_("grid code"), max_length=15)
    house = models.ForeignKey(House, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # the row hash of the last import that wrote every imported field (imports.person_row_hash: the
    # normalised fields and the version it wrote); "" when unknown. A re-import of an unchanged row
    # matches it and is skipped without reading the row.
    import_hash = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)
    # the hash of the file row's raw cells (imports.person_raw_hash: the header mapping, the cells as
    # read, the version written) beside ``import_hash``: a re-imported row whose cells are the same is
    # skipped before it is validated. Trusted only while ``import_hash`` is set (every writer that
    # changes a row without a new version clears that one); "" when unknown.
    import_raw_hash = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "doc_number"], condition=~Q(doc_number=""),
                                    name="registry_person_doc_unique"),
            models.CheckConstraint(condition=Q(id_hmac__isnull=False) | ~Q(doc_number=""),
                                   name="registry_person_identified"),
        ]
        indexes = [models.Index(fields=["grid_code", "name"], name="registry_person_grid_name")]

    def __str__(self) -> str:
        return f"Person {self.pk}"

    @property
    def uniform_identity(self) -> str:
        """人户一致标识: 01 一致, 02 不一致 (derived)."""
        return "02" if self.household_separated else "01"


class Residence(models.Model):
    """Person <-> house over time. Rows are closed (``end_date``), never overwritten."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="residences")
    grid_code = models.CharField(max_length=15, db_index=True)
    start_date = models.DateField(_("moved in"))
    end_date = models.DateField(_("moved out"), null=True, blank=True)
    relation = models.CharField(_("relation to householder"), max_length=2, choices=_choices(codes.RELATION),
                                blank=True)
    domicile_type = models.CharField(_("domicile type"), max_length=2, choices=_choices(codes.DOMICILE_TYPE),
                                     blank=True)
    inflow_reason = models.CharField(_("inflow reason"), max_length=2, choices=_choices(codes.INFLOW_REASON),
                                     blank=True)
    end_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(end_date__isnull=True),
                                    name="registry_one_current_residence"),
        ]
        indexes = [models.Index(fields=["house", "end_date"], name="registry_residence_house")]


class ResidencePermit(Versioned):
    """居住证 (居住证暂行条例, 国务院令第663号)."""

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="permits")
    grid_code = models.CharField(max_length=15, db_index=True)
    number = models.CharField(_("permit number"), max_length=32, unique=True)
    cert_type = models.CharField(max_length=2, choices=_choices(codes.CERT_TYPE), default="01")
    issue_date = models.DateField(_("issued"))
    expiry_date = models.DateField(_("expires"), db_index=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.VALID)
    condition = models.CharField(_("qualifying condition"), max_length=10,
                                 choices=_choices(codes.PERMIT_CONDITION))

    class Meta:
        ordering = ["expiry_date", "id"]
        verbose_name = _("residence permit")
        verbose_name_plural = _("residence permits")


class Organisation(Versioned):
    """非公有制经济组织和社会组织."""

    uscc = models.CharField(_("unified social credit code"), max_length=18, null=True, blank=True, unique=True)
    name = models.CharField(_("name"), max_length=128, db_index=True)
    category = models.CharField(_("category"), max_length=3, choices=_choices(codes.ORG_CATEGORY))
    grid_code = models.CharField(max_length=15, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    house = models.ForeignKey(House, null=True, blank=True, on_delete=models.SET_NULL, related_name="organisations")
    staff_count = models.PositiveIntegerField(_("staff"), default=0)
    legal_rep_name = models.CharField(_("legal representative"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")


class RentalRegistration(Versioned):
    """出租房屋登记: a rented house, its landlord, tenants and period."""

    house = models.ForeignKey(House, on_delete=models.CASCADE, related_name="rentals")
    grid_code = models.CharField(max_length=15, db_index=True)
    landlord_name = models.CharField(_("landlord"), max_length=64)
    landlord_doc_type = models.CharField(max_length=3, choices=_choices(codes.DOC_TYPE), default="111")
    landlord_doc_number = models.CharField(max_length=32, blank=True)
    landlord_phone = models.CharField(max_length=32, blank=True)
    renting_use = models.CharField(_("renting use"), max_length=2, choices=_choices(codes.RENTING_USE),
                                   default="02")
    hidden_danger = models.CharField(_("hidden danger"), max_length=2, choices=_choices(codes.HIDDEN_DANGER),
                                     default="00")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)
    tenants = models.ManyToManyField(Person, related_name="rentals", blank=True)

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("rental registration")
        verbose_name_plural = _("rental registrations")


class DuplicateCandidate(Versioned):
    """A possible duplicate found at registration, waiting for review (merge or dismiss)."""

    class Reason(models.TextChoices):
        SAME_NUMBER = "same_number", _("same document number")
        SAME_NAME_BIRTH = "same_name_birth", _("same name and birth date in the community")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MERGED = "merged", _("merged")
        DISMISSED = "dismissed", _("dismissed")

    # SET_NULL: after a merge the dropped person is gone; the candidate keeps its outcome.
    person = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    other = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        constraints = [models.UniqueConstraint(fields=["person", "other"], name="registry_duplicate_pair")]


class ImportJob(models.Model):
    """One import (upload page or CLI): its progress, counts and the report of rejected rows."""

    class Kind(models.TextChoices):
        PERSONS = "persons", _("persons")
        HOUSES = "houses", _("houses")
        ORGS = "orgs", _("organisations")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    mode = models.CharField(max_length=16, default="all-or-nothing")
    filename = models.CharField(max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    written = models.BooleanField(default=False)
    encoding = models.CharField(max_length=16, blank=True)
    report = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
