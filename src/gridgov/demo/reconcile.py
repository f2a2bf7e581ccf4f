"""Demo data of the reconciliation (对账): one rental-registration list of the demo street, linked to
the register with Splink as the worker would, so the results and the grid worker's worklist show on
first login.

The list is built from the register itself: the people of the grid worker's grid and the tenants of
the street's rental registrations, each copied with the typos of real lists (same-sound name
characters, a mistyped or two swapped identity digits, day/month swaps, mistyped mobiles; from
quality/linksynth.py), plus people the register does not hold, living at houses of the street.
Deterministic by seed; the list grows with the scale."""

from __future__ import annotations

import random

from django.core.files.uploadedfile import SimpleUploadedFile

LIST_ROWS = {"tiny": 120, "small": 300, "city": 600}
NAME = "2026年第四季度出租房屋登记名单对账"


def _jurisdictions() -> dict:
    from gridgov.core.models import SystemState

    state = SystemState.objects.filter(key="demo:geo").first()
    return (state.value or {}).get("jurisdictions", {}) if state else {}


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    from gridgov.quality import linksynth, reconcile_services
    from gridgov.quality.models import Reconciliation
    from gridgov.registry.models import House, Person, RentalRegistration

    places = _jurisdictions()
    street = (places.get("street_centre") or [[""]])[0][0]
    grid = (places.get("grid_worker") or [[""]])[0][0]
    if not street:
        return {}
    rng = random.Random(seed * 104729 + 17)
    n = LIST_ROWS.get(scale, 300)
    in_grid = list(Person.objects.filter(grid_code=grid, status="active").select_related("house").order_by("pk")[:n // 3])
    tenant_ids = (RentalRegistration.tenants.through.objects.filter(rentalregistration__grid_code__startswith=street)
                  .order_by("person_id").values_list("person_id", flat=True)[:n * 2])
    tenants = list(Person.objects.filter(pk__in=list(tenant_ids), status="active").select_related("house")
                   .order_by("pk"))
    rng.shuffle(tenants)
    seen = {p.pk for p in in_grid}
    people = in_grid + [p for p in tenants if p.pk not in seen][: n - len(in_grid)]
    houses = list(House.objects.filter(grid_code=grid).order_by("pk")[:50]) or \
        list(House.objects.filter(grid_code__startswith=street).order_by("pk")[:50])
    rows = []
    for k, p in enumerate(people, start=1):
        row = {"record_id": f"CZ{k:05d}", "name": p.name, "sex": {"1": "男", "2": "女"}.get(p.sex, ""),
               "birth_date": p.birth_date.isoformat() if p.birth_date else "",
               "identity_number": p.identity_number or "", "mobile": p.phone or "",
               "address": p.house.address if p.house else ""}
        r = rng.random()
        if r < 0.12:
            row["name"] = linksynth._homophone(rng, row["name"])
        elif r < 0.18 and len(row["identity_number"]) == 18:
            row["identity_number"] = linksynth._swap(rng, row["identity_number"])
        elif r < 0.24 and len(row["identity_number"]) == 18:
            row["identity_number"] = linksynth._mistype(rng, row["identity_number"])
        elif r < 0.30 and row["birth_date"] and int(row["birth_date"][8:]) <= 12:
            y, m, d = row["birth_date"].split("-")
            row["birth_date"] = f"{y}-{d}-{m}"
        elif r < 0.36 and len(row["mobile"]) == 11:
            row["mobile"] = linksynth._mistype(rng, row["mobile"], lo=3)
        rows.append(row)
    for j in range(max(4, n // 12)):  # people the register does not hold, at houses of the street
        person = linksynth._person(rng, j)
        person["record_id"] = f"CZ{len(people) + j + 1:05d}"
        person["identity_number"] = "310101" + person["identity_number"][6:]
        if houses:
            person["address"] = houses[j % len(houses)].address
        rows.append(person)
    rng.shuffle(rows)
    header = ["record_id", "name", "sex", "birth_date", "identity_number", "mobile", "address"]
    text = "\n".join([",".join(header)] + [",".join(str(r[h]).replace(",", " ") for h in header) for r in rows])
    upload = SimpleUploadedFile("出租房屋登记名单.csv", (text + "\n").encode("gb18030"), "text/csv")
    rec = Reconciliation.objects.create(name=NAME, area_code=street, list_kind="rental",
                                        filename="出租房屋登记名单.csv", encoding="")
    reconcile_services.spool_dir().mkdir(parents=True, exist_ok=True)
    spool = f"demo-{rec.pk}.csv"
    (reconcile_services.spool_dir() / spool).write_bytes(upload.read())
    reconcile_services.reconciliation_run(reconciliation_id=rec.pk, spool=spool)
    return {}


def reset() -> None:
    from gridgov.quality.models import Reconciliation

    Reconciliation.objects.filter(name=NAME).delete()
