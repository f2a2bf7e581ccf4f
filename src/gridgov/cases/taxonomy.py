"""The shipped taxonomy (data/taxonomy.json) and its validation. Loading is ``services.taxonomy_sync``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from gridgov.cases import workcal, workflow
from gridgov.core.errors import Phrase

TAXONOMY_FILE = Path(__file__).resolve().parent / "data" / "taxonomy.json"
DEFAULT_LIMITS: dict[str, str] = {"accept": "1h", "register": "1h", "dispatch": "1h", "handle": "3d",
                                  "verify": "4h", "close": "2h"}
ATTRIBUTE_TYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


@lru_cache(maxsize=1)
def shipped() -> dict:
    return json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))


def department_kinds() -> dict[str, tuple[str, str]]:
    return {k: (v[0], v[1]) for k, v in shipped()["departments"].items()}


def validate_limits(limits: dict) -> list[Phrase]:
    """The problems of a stage-limit table (``str()`` of each is the English text;
    core.i18n.phrase_text translates it)."""
    problems = []
    for stage, limit in (limits or {}).items():
        if stage not in workflow.STAGES:
            problems.append(Phrase("unknown stage %(stage)s", {"stage": repr(stage)}))
            continue
        try:
            workcal.parse_limit(str(limit))
        except workcal.LimitError as exc:
            problems.append(Phrase(exc.template, exc.params))
    return problems


def validate_attributes(attributes: list) -> list[Phrase]:
    problems = []
    for attr in attributes or []:
        if not isinstance(attr, dict) or not attr.get("code"):
            problems.append(Phrase("every attribute needs a code"))
            continue
        if attr.get("datatype") not in ATTRIBUTE_TYPES:
            problems.append(Phrase("attribute %(code)s: datatype must be one of %(types)s",
                                   {"code": attr["code"], "types": ", ".join(ATTRIBUTE_TYPES)}))
        if attr.get("datatype", "").endswith("valuelist") and not attr.get("values"):
            problems.append(Phrase("attribute %(code)s: a value list needs values", {"code": attr["code"]}))
    return problems


def limit_for(stage_limits: dict, stage: str) -> str:
    return (stage_limits or {}).get(stage) or DEFAULT_LIMITS[stage]
