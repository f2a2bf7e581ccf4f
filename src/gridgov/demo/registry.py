"""Demo loader for the register: houses in every grid, residents with a Shanghai-like mix, residence
permits, household-separated residents, rented houses and organisations. Synthetic, deterministic
by seed. Needs the geography (gridgov.demo.geo) loaded first.

Mix: about 59 % 户籍 (hukou in Shanghai; ~15 % of them registered in another community: 人户分离),
40 % 来沪 from other provinces (identity numbers with real county-level GB/T 2260 codes of the main
source provinces), 1 % 境外 (passport holders). Every identity number has a valid check digit.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import date, timedelta

import numpy as np
import shapely
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from gridgov.core.idnumber import make_identity_number
from gridgov.core.uscc import make_uscc

#: persons per scale (the grid count comes from the geography's scale).
PERSONS = {"tiny": 3_000, "small": 200_000, "city": 2_000_000}
BATCH = 5000

#: Real county-level codes (GB/T 2260) of the main source provinces of Shanghai's migrants, weighted.
SOURCE_COUNTIES: list[tuple[str, int]] = [
    ("340102", 4), ("340104", 3), ("341202", 5), ("341221", 5), ("340321", 4),  # 安徽 合肥/阜阳/蚌埠
    ("320106", 2), ("320311", 3), ("320382", 4), ("320583", 2),  # 江苏 南京/徐州/昆山
    ("410102", 2), ("411521", 4), ("412721", 3),  # 河南 郑州/信阳/周口
    ("510104", 2), ("511321", 3),  # 四川 成都/南充
    ("360102", 2), ("360426", 2),  # 江西 南昌/九江德安
    ("330106", 1), ("330327", 2),  # 浙江 杭州/温州苍南
    ("420102", 2), ("420106", 1),  # 湖北 武汉
    ("370102", 1), ("371321", 2),  # 山东 济南/临沂
    ("350102", 1), ("350583", 1),  # 福建 福州/泉州南安
    ("430102", 1), ("430104", 1),  # 湖南 长沙
    ("130102", 1), ("230102", 1), ("500101", 1), ("610102", 1), ("450102", 1), ("520102", 1),
]
SHANGHAI_COUNTIES = ["310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113",
                     "310114", "310115", "310116", "310117", "310118", "310120", "310151"]
NATIONALITIES = ["US", "JP", "KR", "DE", "FR", "GB", "SG", "AU", "CA", "IT"]
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
            "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文斌宇浩然子涵欣怡俊杰晨雨婷佳琪思远嘉懿一鸣"
ROADS = "南京东路 西藏中路 福州路 汉口路 九江路 北京东路 人民大道 淮海中路 延安东路 广东路 金陵东路 复兴中路 瑞金二路 陕西南路".split()
ORG_WORDS = ["商贸", "科技", "餐饮", "物业", "文化传媒", "建筑装饰", "电子商务", "咨询", "物流", "便利店"]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in weighted], weights=[w for _, w in weighted])[0]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _birth(rng: random.Random, today: date, lo: int = 0, hi: int = 90) -> date:
    return today - timedelta(days=rng.randint(lo * 365, hi * 365))


def _house_points(grids: list[tuple], per_grid: np.ndarray, rng: np.random.Generator):
    """Points in each grid (sampled in its bbox, kept when point-in-grid says so; else the grid's
    representative point), located with the same locator the services use."""
    from gridgov.geo.models import Grid, boundary_wkb
    from gridgov.geo.selectors import locate_codes

    total = int(per_grid.sum())
    idx = np.repeat(np.arange(len(grids)), per_grid * 2)
    bb = np.array([g[1:5] for g in grids], dtype=float)
    lon = bb[idx, 0] + rng.random(len(idx)) * (bb[idx, 2] - bb[idx, 0])
    lat = bb[idx, 1] + rng.random(len(idx)) * (bb[idx, 3] - bb[idx, 1])
    located = locate_codes(lon, lat)
    want = {g[0]: int(n) for g, n in zip(grids, per_grid, strict=True)}
    out: list[tuple[str, float, float]] = []
    for i, code in enumerate(located):
        if code is not None and want.get(code, 0) > 0 and code == grids[idx[i]][0]:
            want[code] -= 1
            out.append((code, float(lon[i]), float(lat[i])))
    short = [c for c, n in want.items() if n > 0]
    if short:
        polys: dict[str, bytes | memoryview | None] = {}
        for start in range(0, len(short), 900):  # chunks: SQLite caps the variables of one query
            polys.update(Grid.objects.filter(code__in=short[start:start + 900], boundary__isnull=False)
                         .values_list("code", "boundary"))
        for code in short:
            pt = shapely.point_on_surface(shapely.from_wkb(boundary_wkb(polys[code])))
            out.extend([(code, pt.x, pt.y)] * want[code])
    assert len(out) == total
    out.sort(key=lambda t: t[0])
    return out


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    from gridgov.geo.models import Division, Grid
    from gridgov.registry.identity import blind_key
    from gridgov.registry.models import House, Organisation, Person, RentalRegistration, ResidencePermit

    progress = progress or (lambda *a: None)
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    today = date.today()
    grids = list(Grid.objects.order_by("code").values_list("code", "min_lon", "min_lat", "max_lon", "max_lat"))
    if not grids:
        raise RuntimeError("the register's demo needs the geography: load gridgov.demo.geo first")
    communities = list(Division.objects.filter(level=12).values_list("code", flat=True))
    n_persons = PERSONS.get(scale, PERSONS["small"])
    per_grid = np.maximum(1, nrng.poisson(n_persons / 2.6 / len(grids), len(grids)))
    points = _house_points(grids, per_grid, nrng)

    # houses
    houses = []
    seq_in_grid: dict[str, int] = {}
    for code, lon, lat in points:
        seq_in_grid[code] = seq_in_grid.get(code, 0) + 1
        n = seq_in_grid[code]
        houses.append(House(house_code=f"{code}-{n:04d}", address=f"{rng.choice(ROADS)}{rng.randint(1, 999)}弄"
                                                                  f"{n // 12 + 1}号{(n % 12) + 1:02d}01室",
                            grid_code=code, lon=round(lon, 6), lat=round(lat, 6),
                            building_use="01" if rng.random() < 0.92 else "06",
                            area_m2=float(rng.randint(30, 160)), owner_name=_name(rng)))
    for start in range(0, len(houses), BATCH):
        House.objects.bulk_create(houses[start:start + BATCH])
        progress("registry: houses", min(start + BATCH, len(houses)), len(houses))
    house_ids = dict(House.objects.values_list("house_code", "pk"))

    # persons + residences
    key = blind_key()
    next_id = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    used: set[str] = set()
    qn = connection.ops.quote_name
    p_cols = ["id", "identity_number", "id_hmac", "id_last4", "doc_type", "doc_number", "name", "former_name", "sex",
              "birth_date", "ethnicity", "nationality", "hukou_division", "hukou_address", "phone",
              "population_type", "household_separated", "empty_registration", "status", "grid_code", "house_id",
              "version", "created_at", "updated_at"]
    r_cols = ["person_id", "house_id", "grid_code", "start_date", "relation", "domicile_type", "inflow_reason",
              "end_reason", "created_at"]
    p_sql = (f"INSERT INTO {qn(Person._meta.db_table)} ({', '.join(qn(c) for c in p_cols)}) "
             f"VALUES ({', '.join(['%s'] * len(p_cols))})")
    from gridgov.registry.models import Residence

    r_sql = (f"INSERT INTO {qn(Residence._meta.db_table)} ({', '.join(qn(c) for c in r_cols)}) "
             f"VALUES ({', '.join(['%s'] * len(r_cols))})")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    adapt = connection.ops.adapt_datefield_value
    p_rows: list[tuple] = []
    r_rows: list[tuple] = []
    floating_ids: list[tuple[int, str]] = []
    rented_houses: dict[int, list[int]] = {}
    counts = {"persons": 0, "floating": 0, "foreign": 0, "separated": 0}
    made = 0

    def flush():
        with connection.cursor() as cur:
            if p_rows:
                cur.executemany(p_sql, p_rows)
            if r_rows:
                cur.executemany(r_sql, r_rows)
        p_rows.clear()
        r_rows.clear()

    for h in houses:
        hid = house_ids[h.house_code]
        kind = rng.random()
        pop = "01" if kind < 0.59 else ("02" if kind < 0.99 else "03")
        size = rng.choice((1, 2, 2, 3, 3, 3, 4)) if pop != "03" else rng.choice((1, 2))
        for member in range(size):
            pid = next_id
            next_id += 1
            sex_pick = rng.random() < 0.5
            if pop == "03":
                number, doc_type, doc_number = None, "414", f"E{rng.randint(10_000_000, 99_999_999)}"
                while doc_number in used:  # 20,000 passports at city scale: random draws would collide
                    doc_number = f"E{rng.randint(10_000_000, 99_999_999)}"
                used.add(doc_number)
                birth = _birth(rng, today, 18, 70)
                sex = "1" if sex_pick else "2"
                hukou, nationality = "", rng.choice(NATIONALITIES)
                name = rng.choice(("John", "Anna", "Kenji", "Min-jun", "Lukas", "Chloé", "Oliver", "Wei Ling")) \
                    + " " + rng.choice(("Smith", "Tanaka", "Kim", "Müller", "Martin", "Brown", "Tan"))
            else:
                area = (rng.choice(SHANGHAI_COUNTIES) if rng.random() < 0.2 else h.grid_code[:6]) if pop == "01" \
                    else _pick(rng, SOURCE_COUNTIES)
                birth = _birth(rng, today, 0 if member else 18, 90 if pop == "01" else 60)
                while True:
                    seq = rng.randrange(1, 999, 2) if sex_pick else rng.randrange(2, 999, 2)
                    number = make_identity_number(area, birth, seq)
                    if number not in used:
                        used.add(number)
                        break
                    birth += timedelta(days=1)
                sex = "1" if seq % 2 else "2"
                doc_type, doc_number, nationality = "111", "", "CN"
                name = _name(rng)
                if pop == "01":
                    hukou = h.grid_code[:12] if rng.random() < 0.85 else rng.choice(communities)
                else:
                    hukou = area
            separated = pop == "01" and hukou[:12] != h.grid_code[:12]
            if pop == "03":
                eth = ""
            else:
                eth = "01" if rng.random() < 0.93 else rng.choice(("03", "02", "04", "10", "11"))
            phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}" if rng.random() < 0.8 else ""
            p_rows.append((pid, number, hmac.new(key, number.encode(), hashlib.sha256).hexdigest() if number else None,
                           number[-4:] if number else "", doc_type, doc_number, name, "", sex, adapt(birth),
                           eth, nationality, hukou, "", phone, pop, separated,
                           pop == "01" and rng.random() < 0.01, "active", h.grid_code, hid, 1, now, now))
            moved_in = today - timedelta(days=rng.randint(10, 3650))
            r_rows.append((pid, hid, h.grid_code, adapt(moved_in), "02" if member == 0 else rng.choice(("10", "20", "30")),
                           "01" if pop == "01" else rng.choice(("02", "02", "05", "07")),
                           rng.choice(("01", "01", "03", "04", "06")) if pop == "02" else "", "", now))
            counts["persons"] += 1
            counts["separated"] += separated
            if pop == "02":
                counts["floating"] += 1
                floating_ids.append((pid, h.grid_code))
                rented_houses.setdefault(hid, []).append(pid)
            elif pop == "03":
                counts["foreign"] += 1
                rented_houses.setdefault(hid, []).append(pid)
            made += 1
        if len(p_rows) >= BATCH:
            flush()
            progress("registry: residents", made, n_persons)
    flush()
    progress("registry: residents", made, made)
    if connection.vendor != "sqlite":  # explicit ids: move the sequence past them (Django generates the SQL)
        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Person]):
                cur.execute(sql)

    # residence permits: half of the residents from elsewhere; some expire within 30 days
    permits = []
    for i, (pid, grid) in enumerate(floating_ids):
        if rng.random() < 0.5:
            issued = today - timedelta(days=rng.randint(1, 360 * 3))
            expiry = issued + timedelta(days=365 * 3) if rng.random() < 0.9 else today + timedelta(
                days=rng.randint(0, 30))
            permits.append(ResidencePermit(
                person_id=pid, grid_code=grid, number=f"31{seed % 100:02d}{i:010d}", issue_date=issued,
                expiry_date=expiry, status="valid" if expiry >= today else "expired",
                condition=rng.choice(("employment", "employment", "residence", "study"))))
    for start in range(0, len(permits), BATCH):
        ResidencePermit.objects.bulk_create(permits[start:start + BATCH])
    progress("registry: permits", len(permits), len(permits))

    # rented houses: every house with residents from elsewhere, with its landlord and tenants
    rentals = []
    tenant_rows: list = []
    rented_ids = sorted(rented_houses)
    for hid in rented_ids:
        rentals.append(RentalRegistration(house_id=hid, grid_code="", landlord_name=_name(rng),
                                          landlord_phone=f"139{rng.randint(0, 99_999_999):08d}",
                                          renting_use="02", hidden_danger="00" if rng.random() < 0.95 else "01",
                                          start_date=today - timedelta(days=rng.randint(30, 1500))))
    grid_of = {house_ids[h.house_code]: h.grid_code for h in houses}
    for r in rentals:
        r.grid_code = grid_of[r.house_id]
    for start in range(0, len(rentals), BATCH):
        RentalRegistration.objects.bulk_create(rentals[start:start + BATCH])
    rental_ids: dict[int, int] = {}
    for start in range(0, len(rented_ids), 900):  # chunks: SQLite caps the variables of one query
        rental_ids.update(RentalRegistration.objects.filter(house_id__in=rented_ids[start:start + 900])
                          .values_list("house_id", "pk"))
    through = RentalRegistration.tenants.through
    for hid in rented_ids:
        tenant_rows.extend(through(rentalregistration_id=rental_ids[hid], person_id=pid) for pid in rented_houses[hid])
    for start in range(0, len(tenant_rows), BATCH):
        through.objects.bulk_create(tenant_rows[start:start + BATCH])
    for start in range(0, len(rented_ids), 900):
        House.objects.filter(pk__in=rented_ids[start:start + 900]).update(rented=True)
    progress("registry: rentals", len(rentals), len(rentals))

    # organisations: about one per three grids (at least one per community)
    orgs = []
    n_orgs = max(len(grids) // 3, 20)
    for i in range(n_orgs):
        code = grids[(i * 7919) % len(grids)][0]
        category = rng.choice(("E01", "E01", "E01", "E03", "E03", "E02", "S01", "S02"))
        first17 = f"9{rng.choice('123')}{code[:6]}{rng.randint(0, 10**8 - 1):08d}{rng.choice('0123456789')}" \
            if category[0] == "E" else f"5{rng.choice('123')}{code[:6]}{rng.randint(0, 10**8 - 1):08d}1"
        orgs.append(Organisation(uscc=make_uscc(first17), name=f"上海{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
                                                                f"{rng.choice(ORG_WORDS)}有限公司",
                                 category=category, grid_code=code, address=f"{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                                 staff_count=rng.randint(1, 300), legal_rep_name=_name(rng)))
    first_by_uscc: dict[str | None, Organisation] = {}
    for o in orgs:
        first_by_uscc.setdefault(o.uscc, o)
    orgs = list(first_by_uscc.values())
    Organisation.objects.bulk_create(orgs, batch_size=BATCH)
    progress("registry: organisations", len(orgs), len(orgs))
    return {}


def reset() -> None:
    """Delete every row of the register (single DELETEs, children first)."""
    from gridgov.registry.models import (
        DuplicateCandidate,
        House,
        ImportJob,
        Organisation,
        Person,
        RentalRegistration,
        Residence,
        ResidencePermit,
    )

    for model in (RentalRegistration.tenants.through, RentalRegistration, DuplicateCandidate, ResidencePermit,
                  Residence, Organisation, Person, House, ImportJob):
        qs = model.objects.all()
        qs._raw_delete(qs.db)
