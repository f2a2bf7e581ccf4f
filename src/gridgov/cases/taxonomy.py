"""The shipped taxonomy (data/taxonomy.json) and its validation. Loading is ``services.taxonomy_sync``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from gridgov.cases import workcal, workflow

TAXONOMY_FILE = Path(__file__).resolve().parent / "data" / "taxonomy.json"
DEFAULT_LIMITS: dict[str, str] = {"accept": "1h", "register": "1h", "dispatch": "1h", "handle": "3d",
                                  "verify": "4h", "close": "2h"}
ATTRIBUTE_TYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


@lru_cache(maxsize=1)
def shipped() -> dict:
    return json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))


def department_kinds() -> dict[str, tuple[str, str]]:
    return {k: (v[0], v[1]) for k, v in shipped()["departments"].items()}


def validate_limits(limits: dict) -> list[str]:
    problems = []
    for stage, limit in (limits or {}).items():
        if stage not in workflow.STAGES:
            problems.append(f"unknown stage {stage!r}")
            continue
        try:
            workcal.parse_limit(str(limit))
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def validate_attributes(attributes: list) -> list[str]:
    problems = []
    for attr in attributes or []:
        if not isinstance(attr, dict) or not attr.get("code"):
            problems.append("every attribute needs a code")
            continue
        if attr.get("datatype") not in ATTRIBUTE_TYPES:
            problems.append(f"attribute {attr['code']}: datatype must be one of {', '.join(ATTRIBUTE_TYPES)}")
        if attr.get("datatype", "").endswith("valuelist") and not attr.get("values"):
            problems.append(f"attribute {attr['code']}: a value list needs values")
    return problems


def limit_for(stage_limits: dict, stage: str) -> str:
    return (stage_limits or {}).get(stage) or DEFAULT_LIMITS[stage]
