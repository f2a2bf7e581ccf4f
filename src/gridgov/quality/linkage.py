"""Linking an external list (rental registrations, staff lists, school enrolments) to the register
with Splink (Fellegi-Sunter, trained unsupervised). Pure: no Django; the same model runs on DuckDB
(embedded, the default) or on Apache Spark (``engine="spark"``).

Both lists have the columns of ``FIELDS``; any but ``record_id`` may be empty. Before Splink sees
them the values are normalised (``normalise``): full-width characters folded, names without spaces
or the middle dot, a pinyin key of each name (``name_py``: 王伟 and 王玮 share ``wang wei``, the
commonest typo in Chinese lists), identity numbers upper-case, birth dates as ``YYYY-MM-DD`` (a
missing one is taken from an 18-digit identity number; an impossible month is kept, it may be a
day/month swap), mobiles as their digits, addresses without spaces.

The comparisons (``comparisons``), from the most to the least specific level:

- name: same characters; same sound (pinyin key); one character differs or two are swapped;
  similar pinyin (Jaro-Winkler >= 0.88); else;
- identity number: same; one digit mistyped or two adjacent digits swapped (Damerau-Levenshtein
  distance 1); two digits differ (e.g. two distant digits swapped); else;
- birth date: same; day and month swapped; one digit differs; same year; else;
- mobile: same; one digit mistyped or two swapped; else;
- address: same; Jaro-Winkler >= 0.9; >= 0.7; else;
- sex: same; else.

Training (``train``): the prior that two random records match from the pairs sharing an identity
number or a mobile (recall 0.7), u from a seeded random sample of pairs, m by expectation
maximisation on two blockings (by identity number, then by birth date), so every comparison gets
an m estimated from pairs it was not blocked on. Prediction: the pairs of the blocking rules
(``BLOCKING``), scored; each external row keeps its best register row (``best_links``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

FIELDS = ("record_id", "name", "sex", "birth_date", "identity_number", "mobile", "address")
#: the fields compared to find conflicts between a linked pair (what a visit verifies)
CHECKED = ("name", "sex", "birth_date", "identity_number", "mobile", "address")
ENGINES = ("duckdb", "spark")
DEFAULT_THRESHOLD = 0.9
DEFAULT_SEED = 17
MAX_ID_LENGTH = 64

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SEX = {"男": "M", "m": "M", "male": "M", "1": "M", "女": "F", "f": "F", "female": "F", "2": "F"}


class LinkInputError(ValueError):
    """Input refused: ``problems`` says each line and reason (``file:line: field: reason``)."""

    def __init__(self, problems: list[str], details: list[tuple[int, str, str, dict]] | None = None):
        super().__init__("; ".join(problems[:5]))
        self.problems = problems
        #: (line, field, reason template, params): the same problems, for a page to translate
        self.details = details or []


@dataclass(frozen=True)
class Link:
    external_id: str
    register_id: str
    match_probability: float
    #: checked field -> True (agrees), False (differs) or None (empty on one side)
    agreement: dict[str, bool | None] = field(default_factory=dict)

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(f for f in CHECKED if self.agreement.get(f) is False)


def _fold(value: object) -> str:
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def pinyin_key(name: str) -> str:
    """The sound of a name without tones: 王伟, 王玮 and 汪伟 -> ``wang wei``; Latin letters lower-cased."""
    from pypinyin import Style, lazy_pinyin

    if not name:
        return ""
    return " ".join(p.strip().lower() for p in lazy_pinyin(name, style=Style.NORMAL, errors="default")
                    if p.strip())


def normalise_birth_date(text: str) -> str | None:
    """``YYYY-MM-DD`` from the usual spellings (1990-3-25, 1990/03/25, 19900325, 1990年3月25日); the
    month may be up to 31 (a day/month swap is kept for the model to see). None if not a date."""
    text = _fold(text)
    m = _DATE.match(text) or _DATE8.match(text)
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1850 <= year <= 2100 and 1 <= month <= 31 and 1 <= day <= 31) or (month > 12 and day > 12):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def normalise(rows: Iterable[dict], *, source: str = "", first_line: int = 2) -> list[dict]:
    """Normalised records for Splink (empty values as None) from rows with the ``FIELDS`` keys.
    Refuses the whole input (``LinkInputError``) with every bad line: a missing or duplicate
    record_id, an unreadable birth date or sex."""
    out: list[dict] = []
    details: list[tuple[int, str, str, dict]] = []
    seen: set[str] = set()

    def bad(line: int, field_name: str, template: str, **params) -> None:
        details.append((line, field_name, template, params))

    for line, row in enumerate(rows, start=first_line):
        rid = _fold(row.get("record_id"))
        if not rid:
            bad(line, "record_id", "empty")
        elif len(rid) > MAX_ID_LENGTH:
            bad(line, "record_id", "longer than %(max)s characters", max=MAX_ID_LENGTH)
        elif rid in seen:
            bad(line, "record_id", "%(value)s appears twice", value=repr(rid))
        seen.add(rid)
        name = re.sub(r"[\s·•.]", "", _fold(row.get("name")))
        sex_text = _fold(row.get("sex")).lower()
        sex = _SEX.get(sex_text) if sex_text else None
        if sex_text and sex is None:
            bad(line, "sex", "%(value)s is not 男/女 (M/F)", value=repr(sex_text))
        idn = re.sub(r"[\s-]", "", _fold(row.get("identity_number"))).upper()
        birth_text = _fold(row.get("birth_date"))
        birth = normalise_birth_date(birth_text) if birth_text else None
        if birth_text and birth is None:
            bad(line, "birth_date", "%(value)s is not a date (YYYY-MM-DD)", value=repr(birth_text))
        if not birth_text and len(idn) == 18 and idn[6:14].isdigit():
            birth = normalise_birth_date(idn[6:14])
        mobile = re.sub(r"\D", "", _fold(row.get("mobile")))
        if len(mobile) == 13 and mobile.startswith("86"):
            mobile = mobile[2:]
        address = re.sub(r"\s+", "", _fold(row.get("address"))).lower()
        out.append({"record_id": rid, "name": name or None, "name_py": pinyin_key(name) or None,
                    "sex": sex, "birth_date": birth, "identity_number": idn or None, "mobile": mobile or None,
                    "address": address or None})
    if details:
        prefix = f"{source}:" if source else "line "
        raise LinkInputError([f"{prefix}{line}: {f}: {t % p}" for line, f, t, p in details], details)
    return out


# ---------------------------------------------------------------------------------------------- model

def comparisons() -> list:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def levels(col, *middle):
        return [cll.NullLevel(col), cll.ExactMatchLevel(col), *middle, cll.ElseLevel()]

    swap = ("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) AND "
            "substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) AND "
            "substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)")
    year = "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)"
    return [
        cl.CustomComparison(levels(
            "name", cll.ExactMatchLevel("name_py").configure(label_for_charts="same sound (pinyin)"),
            cll.DamerauLevenshteinLevel("name", 1), cll.JaroWinklerLevel("name_py", 0.88)),
            output_column_name="name"),
        cl.CustomComparison(levels(
            "identity_number", cll.DamerauLevenshteinLevel("identity_number", 1),
            cll.LevenshteinLevel("identity_number", 2)), output_column_name="identity_number"),
        cl.CustomComparison(levels(
            "birth_date", cll.CustomLevel(swap, label_for_charts="day and month swapped"),
            cll.DamerauLevenshteinLevel("birth_date", 1), cll.CustomLevel(year, label_for_charts="same year")),
            output_column_name="birth_date"),
        cl.CustomComparison(levels("mobile", cll.DamerauLevenshteinLevel("mobile", 1)),
                            output_column_name="mobile"),
        cl.CustomComparison(levels("address", cll.JaroWinklerLevel("address", 0.9),
                                   cll.JaroWinklerLevel("address", 0.7)), output_column_name="address"),
        cl.CustomComparison(levels("sex"), output_column_name="sex"),
    ]


BLOCKING = ("identity_number", "name_py", "mobile", "birth_date")


def settings():
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only", unique_id_column_name="record_id", comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[block_on(c) for c in BLOCKING],
        retain_matching_columns=False, retain_intermediate_calculation_columns=False)


def spark_session(master: str = "local[2]"):
    """A Spark session with Splink's similarity functions (its jar); ``master`` as spark-submit's
    (``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://...``)."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    return (SparkSession.builder.master(master).appName("gridgov quality link")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", "4").config("spark.default.parallelism", "4")
            .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
            .getOrCreate())


def _db_api(engine: str, spark):
    if engine == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if engine == "spark":
        from splink import SparkAPI

        return SparkAPI(spark_session=spark or spark_session(), break_lineage_method="persist")
    raise ValueError(f"unknown engine {engine!r} (expected one of {', '.join(ENGINES)})")


def _columns(records: Sequence[dict]) -> dict[str, list]:
    cols = ("record_id", "name", "name_py", "sex", "birth_date", "identity_number", "mobile", "address")
    return {c: [r[c] for r in records] for c in cols}


def train(linker, *, seed: int = DEFAULT_SEED, pairs: float = 0.0) -> None:
    """``pairs``: the number of possible pairs; up to a million, u is estimated in one pass over all
    of them (fewer queries: what makes a small job on Spark slow is the count of queries)."""
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("identity_number"), block_on("mobile")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed,
                                                     num_chunks=1 if 0 < pairs <= 1e6 else 10)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("identity_number"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))


def predict(register: Sequence[dict], external: Sequence[dict], *, threshold: float = 0.0,
            engine: str = "duckdb", spark=None, seed: int = DEFAULT_SEED) -> list[tuple[str, str, float]]:
    """Scored pairs (external_id, register_id, probability >= threshold) of normalised records."""
    import logging

    from splink import Linker

    if not register or not external:
        return []
    api = _db_api(engine, spark)
    reg = api.register(_columns(register), dataset_display_name="register")
    ext = api.register(_columns(external), dataset_display_name="external")
    linker = Linker([reg, ext], settings(), log_level=logging.ERROR)
    train(linker, seed=seed, pairs=float(len(register)) * len(external))
    scored = linker.inference.predict(threshold_match_probability=threshold)
    pairs: list[tuple[str, str, float]] = []
    for row in scored.as_record_list():
        left, right = row["source_dataset_l"], row["source_dataset_r"]
        ids = {left: row["record_id_l"], right: row["record_id_r"]}
        pairs.append((str(ids["external"]), str(ids["register"]), float(row["match_probability"])))
    return pairs


def best_links(pairs: Iterable[tuple[str, str, float]], threshold: float) -> dict[str, tuple[str, float]]:
    """At most one register row per external row: its most probable one at or above ``threshold``
    (ties: the smaller register id, so the answer does not depend on the engine's order)."""
    best: dict[str, tuple[str, float]] = {}
    for ext, reg, p in pairs:
        if p < threshold:
            continue
        cur = best.get(ext)
        if cur is None or p > cur[1] or (p == cur[1] and reg < cur[0]):
            best[ext] = (reg, p)
    return best


def agreement(a: dict, b: dict) -> dict[str, bool | None]:
    """Per checked field of two normalised records: agrees, differs, or None (empty on a side)."""
    return {f: None if a.get(f) is None or b.get(f) is None else a[f] == b[f] for f in CHECKED}


def link(register: Sequence[dict], external: Sequence[dict], *, threshold: float = DEFAULT_THRESHOLD,
         engine: str = "duckdb", spark=None, seed: int = DEFAULT_SEED) -> list[Link]:
    """The links of normalised records: one per external row with a register row at or above
    ``threshold``, ordered by external id, each with its field agreement."""
    pairs = predict(register, external, threshold=threshold, engine=engine, spark=spark, seed=seed)
    by_id = {r["record_id"]: r for r in register}
    ext_by_id = {r["record_id"]: r for r in external}
    best = best_links(pairs, threshold)
    return [Link(ext, reg, round(p, 6), agreement(ext_by_id[ext], by_id[reg]))
            for ext, (reg, p) in sorted(best.items())]
