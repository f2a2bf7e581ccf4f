"""Demo loader for the register: houses in every grid, residents with a Shanghai-like mix, residence
permits, household-separated residents, rented houses and organisations. Synthetic, deterministic
by seed. Needs the geography (gridgov.demo.geo) loaded first.

Mix: about 59 % 户籍 (hukou in Shanghai; ~15 % of them registered in another community: 人户分离),
40 % 来沪 from other provinces (identity numbers with real county-level GB/T 2260 codes of the main
source provinces), 1 % 境外 (passport holders). Every identity number has a valid check digit.
"""

from __future__ import annotations

import hmac
import itertools
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import numpy as np
import shapely
from django.db import connection

from gridgov.core.uscc import make_uscc
from gridgov.demo.bulk import Inserter, indexes_built_after, next_pk, produced_in_child, reset_sequences
from gridgov.demo.identities import IdentityAllocator, identity_numbers, passport_numbers, serial8

#: persons per scale (the grid count comes from the geography's scale).
PERSONS = {"tiny": 3_000, "small": 200_000, "city": 2_000_000}
BATCH = 5000
#: from this many residents on, the rows are drawn in a child process while the loader writes them
CHILD_FROM = 100_000
#: houses generated, inserted and released together (about 2.6 residents each).
CHUNK = 5000

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


_SOURCE_CODES = [c for c, _ in SOURCE_COUNTIES]
_SOURCE_CUMULATIVE = list(itertools.accumulate(w for _, w in SOURCE_COUNTIES))


def _pick_source(rng: random.Random) -> str:
    """A source county, drawn by weight (the cumulative weights computed once)."""
    return rng.choices(_SOURCE_CODES, cum_weights=_SOURCE_CUMULATIVE)[0]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _birth(rng: random.Random, today: date, lo: int = 0, hi: int = 90) -> date:
    return today - timedelta(days=rng.randint(lo * 365, hi * 365))


def _house_points(grids: list[tuple], per_grid: np.ndarray, rng: np.random.Generator):
    """Points in each grid (sampled in its bbox, kept when point-in-grid says so; else the grid's
    representative point), located with the same locator the services use. Returns arrays
    (grid index, lon, lat) ordered by grid."""
    from gridgov.geo.models import Grid, boundary_wkb
    from gridgov.geo.selectors import locate_codes

    codes = np.array([g[0] for g in grids], dtype=object)
    tries = per_grid * 2
    idx = np.repeat(np.arange(len(grids)), tries)
    bb = np.array([g[1:5] for g in grids], dtype=float)
    lon = bb[idx, 0] + rng.random(len(idx)) * (bb[idx, 2] - bb[idx, 0])
    lat = bb[idx, 1] + rng.random(len(idx)) * (bb[idx, 3] - bb[idx, 1])
    ok = np.array(locate_codes(lon, lat), dtype=object) == codes[idx]
    # keep the first per_grid hits of each grid (tries are grouped by grid)
    hits = np.cumsum(ok)
    starts = np.r_[0, np.cumsum(tries)[:-1]]
    before = np.where(starts > 0, hits[np.maximum(starts - 1, 0)], 0)
    keep = ok & (hits - np.repeat(before, tries) <= per_grid[idx])
    g_out, lon_out, lat_out = [idx[keep]], [lon[keep]], [lat[keep]]
    short_n = per_grid - np.bincount(idx[keep], minlength=len(grids))
    short = np.flatnonzero(short_n > 0)
    if len(short):
        polys: dict[str, bytes | memoryview | None] = {}
        for start in range(0, len(short), 900):  # chunks: SQLite caps the variables of one query
            polys.update(Grid.objects.filter(code__in=codes[short[start:start + 900]].tolist(),
                                             boundary__isnull=False).values_list("code", "boundary"))
        pts = shapely.point_on_surface(shapely.from_wkb([boundary_wkb(polys[c]) for c in codes[short]]))
        reps = short_n[short]
        g_out.append(np.repeat(short, reps))
        lon_out.append(np.repeat(shapely.get_x(pts), reps))
        lat_out.append(np.repeat(shapely.get_y(pts), reps))
    g_all = np.concatenate(g_out)
    order = np.argsort(g_all, kind="stable")
    assert len(order) == int(per_grid.sum())
    return g_all[order], np.concatenate(lon_out)[order], np.concatenate(lat_out)[order]


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    """Houses, residents, residences, permits and rented houses in chunks of :data:`CHUNK` houses
    (each chunk is generated, inserted and dropped: memory does not grow with the city), then the
    organisations. Identity, passport, permit and credit-code numbers are unique by construction
    (gridgov.demo.identities), not by retrying. From :data:`CHILD_FROM` residents on, the rows are
    drawn in a child process while this one writes them (``bulk.produced_in_child``): the same
    rows, on both cores."""
    from gridgov.registry.models import (
        House,
        Organisation,
        Person,
        RentalRegistration,
        Residence,
        ResidencePermit,
    )

    progress = progress or (lambda *a: None)
    n_persons = PERSONS.get(scale, PERSONS["small"])
    plan = generation_plan(scale, seed)
    house_ins = Inserter(House, ["id", "house_code", "address", "grid_code", "lon", "lat", "building_use", "area_m2",
                                 "owner_name", "rented"])
    person_ins = Inserter(Person, ["id", "identity_number", "id_hmac", "id_last4", "doc_type", "doc_number", "name",
                                   "sex", "birth_date", "ethnicity", "nationality", "hukou_division", "phone",
                                   "population_type", "household_separated", "empty_registration", "status",
                                   "grid_code", "house_id"])
    residence_ins = Inserter(Residence, ["person_id", "house_id", "grid_code", "start_date", "relation",
                                         "domicile_type", "inflow_reason"])
    permit_ins = Inserter(ResidencePermit, ["person_id", "grid_code", "number", "issue_date", "expiry_date",
                                            "status", "condition"])
    rental_ins = Inserter(RentalRegistration, ["id", "house_id", "grid_code", "landlord_name", "landlord_phone",
                                               "renting_use", "hidden_danger", "start_date"])
    tenant_ins = Inserter(RentalRegistration.tenants.through, ["rentalregistration_id", "person_id"])
    chunks = produced_in_child(generate, **plan) if n_persons >= CHILD_FROM else generate(**plan)
    made = 0
    orgs: list[dict] = []
    # every row of the register first, its non-unique indexes built once at the end
    with indexes_built_after(House, Person, Residence, ResidencePermit, RentalRegistration,
                             RentalRegistration.tenants.through):
        for chunk in chunks:
            if isinstance(chunk, list):  # the last item: the organisations
                orgs = chunk
                continue
            houses, persons, residences, permits, rentals, tenants, made = chunk
            house_ins.insert(houses)
            person_ins.insert(persons)
            residence_ins.insert(residences)
            permit_ins.insert(permits)
            rental_ins.insert(rentals)
            tenant_ins.insert(tenants)
            progress("registry: residents", made, n_persons)
    progress("registry: residents", made, made)
    reset_sequences(Person, House, RentalRegistration)  # explicit ids
    Organisation.objects.bulk_create([Organisation(**o) for o in orgs], batch_size=BATCH)
    progress("registry: organisations", len(orgs), len(orgs))
    return {}


def generation_plan(scale: str, seed: int) -> dict:
    """What :func:`generate` needs from the database: the grids and their house points, the
    communities, the blind-index key, the next primary keys, how the backend takes dates."""
    from gridgov.geo.models import Division, Grid
    from gridgov.registry.identity import blind_key
    from gridgov.registry.models import House, Person, RentalRegistration

    nrng = np.random.default_rng(seed)
    today = date.today()
    grids = list(Grid.objects.order_by("code").values_list("code", "min_lon", "min_lat", "max_lon", "max_lat"))
    if not grids:
        raise RuntimeError("the register's demo needs the geography: load gridgov.demo.geo first")
    n_persons = PERSONS.get(scale, PERSONS["small"])
    per_grid = np.maximum(1, nrng.poisson(n_persons / 2.6 / len(grids), len(grids)))
    h_grid, h_lon, h_lat = _house_points(grids, per_grid, nrng)
    return {"seed": seed, "today": today, "codes": [g[0] for g in grids], "h_grid": h_grid, "h_lon": h_lon,
            "h_lat": h_lat, "communities": list(Division.objects.filter(level=12).values_list("code", flat=True)),
            "key": blind_key(), "next_id": next_pk(Person), "next_house": next_pk(House),
            "next_rental": next_pk(RentalRegistration),
            "dates_as_text": isinstance(connection.ops.adapt_datefield_value(today), str)}


def generate(*, seed: int, today: date, codes: list[str], h_grid: np.ndarray, h_lon: np.ndarray, h_lat: np.ndarray,
             communities: list[str], key: bytes, next_id: int, next_house: int, next_rental: int,
             dates_as_text: bool) -> Iterator[tuple | list[dict]]:
    """The register's rows, drawn from ``random.Random(seed)``, without the database: per chunk of
    :data:`CHUNK` houses a tuple (houses, persons, residences, permits, rentals, tenants, residents so
    far) of rows for ``load``'s inserters, dates as the backend takes them (ISO text or ``date``);
    then the organisations as a list of field dicts."""
    rng = random.Random(seed)
    adapt: Callable[[date], object] = str if dates_as_text else _same
    allocator = IdentityAllocator(SHANGHAI_COUNTIES + [c for c, _ in SOURCE_COUNTIES] + [c[:6] for c in codes],
                                  today)
    n_houses = len(h_grid)
    made = foreign_made = floating_made = 0
    seq_in_grid, last_grid = 0, -1

    for lo in range(0, n_houses, CHUNK):
        # 1. the chunk's houses and, per house, its residents' drawn attributes
        houses: list = []
        people: list[tuple[int, int, str, str, int, bool]] = []  # house, member, pop, area, days back, male
        for i in range(lo, min(lo + CHUNK, n_houses)):
            g = int(h_grid[i])
            seq_in_grid = seq_in_grid + 1 if g == last_grid else 1
            last_grid = g
            code, n = codes[g], seq_in_grid
            kind = rng.random()
            pop = "01" if kind < 0.59 else ("02" if kind < 0.99 else "03")
            houses.append((next_house, f"{code}-{n:04d}", f"{rng.choice(ROADS)}{rng.randint(1, 999)}弄"
                                                          f"{n // 12 + 1}号{(n % 12) + 1:02d}01室",
                           code, round(float(h_lon[i]), 6), round(float(h_lat[i]), 6),
                           "01" if rng.random() < 0.92 else "06", float(rng.randint(30, 160)), _name(rng),
                           pop != "01"))
            next_house += 1
            size = rng.choice((1, 2, 2, 3, 3, 3, 4)) if pop != "03" else rng.choice((1, 2))
            for member in range(size):
                male = rng.random() < 0.5
                if pop == "03":
                    area, days = "", rng.randint(18 * 365, 70 * 365)
                else:
                    area = (rng.choice(SHANGHAI_COUNTIES) if rng.random() < 0.2 else code[:6]) if pop == "01" \
                        else _pick_source(rng)
                    days = rng.randint(0 if member else 18 * 365, (90 if pop == "01" else 60) * 365)
                people.append((len(houses) - 1, member, pop, area, days, male))

        # 2. identity numbers (unique by construction) and passport numbers
        cn = [p for p in people if p[2] != "03"]
        seqs, days_back = allocator.assign([p[3] for p in cn], np.array([p[4] for p in cn], dtype=np.int64),
                                           np.array([p[5] for p in cn], dtype=bool))
        births = allocator.births(days_back)
        numbers = iter(zip(identity_numbers([p[3] for p in cn], births, seqs), births, strict=True))
        n_foreign = len(people) - len(cn)
        passports = iter(passport_numbers(foreign_made, n_foreign, seed))
        foreign_made += n_foreign

        # 3. persons, residences, permits, rentals with their tenants
        p_rows: list[tuple] = []
        r_rows: list[tuple] = []
        permits: list = []
        tenants: dict[int, list[int]] = {}
        for h_pos, member, pop, area, days, male in people:
            hid, grid_code = houses[h_pos][0], houses[h_pos][3]
            pid = next_id
            next_id += 1
            sex = "1" if male else "2"
            number: str | None
            if pop == "03":
                number, doc_type, doc_number = None, "414", next(passports)
                birth = today - timedelta(days=days)
                hukou, nationality = "", rng.choice(NATIONALITIES)
                name = rng.choice(("John", "Anna", "Kenji", "Min-jun", "Lukas", "Chloé", "Oliver", "Wei Ling")) \
                    + " " + rng.choice(("Smith", "Tanaka", "Kim", "Müller", "Martin", "Brown", "Tan"))
            else:
                number, birth = next(numbers)
                doc_type, doc_number, nationality = "111", "", "CN"
                name = _name(rng)
                if pop == "01":
                    hukou = grid_code[:12] if rng.random() < 0.85 else rng.choice(communities)
                else:
                    hukou = area
            separated = pop == "01" and hukou[:12] != grid_code[:12]
            if pop == "03":
                eth = ""
            else:
                eth = "01" if rng.random() < 0.93 else rng.choice(("03", "02", "04", "10", "11"))
            phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}" if rng.random() < 0.8 else ""
            p_rows.append((pid, number, hmac.digest(key, number.encode(), "sha256").hex() if number else None,
                           number[-4:] if number else "", doc_type, doc_number, name, sex, adapt(birth),
                           eth, nationality, hukou, phone, pop, separated,
                           pop == "01" and rng.random() < 0.01, "active", grid_code, hid))
            moved_in = today - timedelta(days=rng.randint(10, 3650))
            r_rows.append((pid, hid, grid_code, adapt(moved_in), "02" if member == 0 else rng.choice(("10", "20", "30")),
                           "01" if pop == "01" else rng.choice(("02", "02", "05", "07")),
                           rng.choice(("01", "01", "03", "04", "06")) if pop == "02" else ""))
            if pop != "01":
                tenants.setdefault(hid, []).append(pid)
            if pop == "02":
                # residence permits: half of the residents from elsewhere; some expire within 30 days
                if rng.random() < 0.5:
                    issued = today - timedelta(days=rng.randint(1, 360 * 3))
                    expiry = issued + timedelta(days=365 * 3) if rng.random() < 0.9 else today + timedelta(
                        days=rng.randint(0, 30))
                    permits.append((pid, grid_code, f"31{seed % 100:02d}{floating_made:010d}", adapt(issued),
                                    adapt(expiry), "valid" if expiry >= today else "expired",
                                    rng.choice(("employment", "employment", "residence", "study"))))
                floating_made += 1
            made += 1
        # rented houses: every house with residents from elsewhere, with its landlord and tenants
        rentals: list[tuple] = []
        tenant_rows: list[tuple[int, int]] = []
        for house in houses:
            if house[-1]:  # rented
                rentals.append((next_rental, house[0], house[3], _name(rng), f"139{rng.randint(0, 99_999_999):08d}",
                                "02", "00" if rng.random() < 0.95 else "01",
                                adapt(today - timedelta(days=rng.randint(30, 1500)))))
                tenant_rows.extend((next_rental, pid) for pid in tenants[house[0]])
                next_rental += 1
        yield houses, p_rows, r_rows, permits, rentals, tenant_rows, made

    # organisations: about one per three grids (at least one per community); the 8-digit serial of
    # the credit code comes from the organisation's number, so the codes are unique
    orgs = []
    n_orgs = max(len(codes) // 3, 20)
    for i in range(n_orgs):
        code = codes[(i * 7919) % len(codes)]
        category = rng.choice(("E01", "E01", "E01", "E03", "E03", "E02", "S01", "S02"))
        first17 = f"9{rng.choice('123')}{code[:6]}{serial8(i, seed)}{rng.choice('0123456789')}" \
            if category[0] == "E" else f"5{rng.choice('123')}{code[:6]}{serial8(i, seed)}1"
        orgs.append({"uscc": make_uscc(first17), "name": f"上海{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
                                                          f"{rng.choice(ORG_WORDS)}有限公司",
                     "category": category, "grid_code": code, "address": f"{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                     "staff_count": rng.randint(1, 300), "legal_rep_name": _name(rng)})
    yield orgs


def _same(value):
    return value


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
