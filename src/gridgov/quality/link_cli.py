"""`gridgov quality link`: link an external list to the register with Splink; no database needed.

    gridgov quality link --register REG.csv --external EXT.csv --output LINKS.csv
                         [--threshold 0.9] [--engine duckdb|spark] [--spark-master local[2]]

Both inputs: ``record_id,name,sex,birth_date,identity_number,mobile,address`` or the same columns
under their Chinese names ``记录编号,姓名,性别,出生日期,公民身份号码,手机号码,地址`` (``HEADER_NAMES``;
any but the record number may be empty; other columns are ignored), UTF-8 or GBK. LINKS.csv: ``external_id,register_id,
match_probability``, at most one register row per external row. Bad input is refused whole, with
each line and its reason. The model is described in quality/linkage.py and docs/quality.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys

from gridgov.quality.linkage import DEFAULT_THRESHOLD, ENGINES, FIELDS, LinkInputError

LINK_HELP = ("link an external list (rental registrations, staff, enrolments) to the register with Splink "
             "(REG.csv + EXT.csv -> LINKS.csv)")
OUTPUT_COLUMNS = ("external_id", "register_id", "match_probability")
#: Column names a list may carry instead of the ``FIELDS`` (the names on Chinese forms), the first of
#: each field being the one the upload page shows.
HEADER_NAMES = {
    "记录编号": "record_id", "编号": "record_id", "序号": "record_id",
    "姓名": "name",
    "性别": "sex",
    "出生日期": "birth_date",
    "公民身份号码": "identity_number", "身份证号码": "identity_number", "身份证号": "identity_number",
    "手机号码": "mobile", "手机号": "mobile", "联系电话": "mobile",
    "地址": "address", "居住地址": "address", "现住址": "address",
}
CHINESE_HEADER = ",".join(next(k for k, v in HEADER_NAMES.items() if v == f) for f in FIELDS)
MAX_REPORTED = 20


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text and its encoding: ``encoding`` if given, else UTF-8 (with or without BOM), else GB18030
    (a superset of GBK)."""
    for enc in ([encoding] if encoding else ["utf-8-sig", "gb18030"]):
        try:
            return data.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError(encoding or "utf-8", data, 0, 1, "neither UTF-8 nor GBK")


def read_rows(text: str, *, source: str) -> list[dict]:
    """Rows of a CSV text with the ``FIELDS`` header; refuses a missing column or a ragged line."""
    return read_table(csv.reader(io.StringIO(text, newline="")), source=source)


def read_table(lines, *, source: str) -> list[dict]:
    """Rows of a table (an iterable of lists of cells, the header first): as ``read_rows``."""
    reader = iter(lines)
    header = [h.strip().lower() for h in next(reader, [])]
    header = [HEADER_NAMES.get(h, h) for h in header]
    missing = [f for f in FIELDS if f not in header]
    if missing:
        params = {"columns": ", ".join(missing), "expected": f"{','.join(FIELDS)} / {CHINESE_HEADER}"}
        raise LinkInputError([f"{source}:1: header: missing column(s) {params['columns']} (expected {params['expected']})"],
                             [(1, "header", "missing column(s) %(columns)s (expected %(expected)s)", params)])
    pos = {f: header.index(f) for f in FIELDS}
    rows: list[dict] = []
    details: list[tuple[int, str, str, dict]] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            details.append((line, "", "empty line", {}))
            continue
        if len(values) != len(header):
            details.append((line, "", "%(values)s values for %(columns)s columns",
                            {"values": len(values), "columns": len(header)}))
            continue
        rows.append({f: values[i] for f, i in pos.items()})
    if details:
        raise LinkInputError([f"{source}:{line}: {t % p}" for line, _f, t, p in details], details)
    return rows


def load(path: str, *, source: str | None = None) -> list[dict]:
    from gridgov.quality.linkage import normalise

    source = source or path
    with open(path, "rb") as fh:
        text, _ = decode(fh.read())
    rows = read_rows(text, source=source)
    return normalise(rows, source=source)


def link_main(args) -> int:
    from gridgov.quality import linkage

    records = {}
    problems: list[str] = []
    for name in ("register", "external"):
        path = getattr(args, name)
        try:
            records[name] = load(path)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: {path}: cannot read ({exc})", file=sys.stderr)
            return 2
        except LinkInputError as exc:
            problems.extend(exc.problems)
    if problems:
        print(f"error: {len(problems)} problem(s) in the input; nothing written", file=sys.stderr)
        for problem in problems[:MAX_REPORTED]:
            print(f"  {problem}", file=sys.stderr)
        if len(problems) > MAX_REPORTED:
            print(f"  … and {len(problems) - MAX_REPORTED} more", file=sys.stderr)
        return 1
    spark = linkage.spark_session(args.spark_master) if args.engine == "spark" else None
    links = linkage.link(records["register"], records["external"], threshold=args.threshold,
                         engine=args.engine, spark=spark)
    try:
        out = sys.stdout if args.output in (None, "-") else open(args.output, "w", encoding="utf-8", newline="")
        try:
            write_links(links, out)
        finally:
            if out is not sys.stdout:
                out.close()
    except OSError as exc:
        print(f"error: {args.output}: cannot write ({exc})", file=sys.stderr)
        return 2
    conflicts = sum(1 for lk in links if lk.conflicts)
    print(f"{len(records['register'])} register row(s), {len(records['external'])} external row(s): "
          f"{len(links)} linked at match probability >= {args.threshold:g} ({conflicts} with conflicting "
          f"fields), {len(records['external']) - len(links)} not linked (probably unregistered); "
          f"engine {args.engine}", file=sys.stderr)
    return 0


def write_links(links, out) -> int:
    from gridgov.core.spreadsheet import csv_writer

    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for lk in links:
        writer.writerow((lk.external_id, lk.register_id, f"{lk.match_probability:.6f}"))
    return len(links)


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a probability (expected 0 < t < 1, e.g. 0.9)")
    return value


def add_link_parser(sub) -> None:
    link = sub.add_parser("link", help=LINK_HELP, description=LINK_HELP)
    link.add_argument("--register", required=True, metavar="REG.csv",
                      help=f"the register's rows: {','.join(FIELDS)}")
    link.add_argument("--external", required=True, metavar="EXT.csv", help="the external list, same columns")
    link.add_argument("--output", "-o", metavar="LINKS.csv",
                      help="external_id,register_id,match_probability (default: standard output)")
    link.add_argument("--threshold", type=_threshold, default=DEFAULT_THRESHOLD,
                      help=f"least match probability of a link (default {DEFAULT_THRESHOLD})")
    link.add_argument("--engine", choices=ENGINES, default="duckdb",
                      help="duckdb (embedded, default) or spark (PySpark, extra [spark])")
    link.add_argument("--spark-master", default="local[2]",
                      help="Spark master URL with --engine spark (default local[2]; spark://host:7077, yarn, k8s://…)")
