"""Check recorded Bot API calls against api.json, independently of the server's own checks.

    assert_calls_match_spec(api.calls, shared_path("telegram-bot-api", "api.json"))
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Protocol


class Call(Protocol):
    method: str
    params: dict[str, Any]


@cache
def _methods(spec_path: Path) -> dict[str, dict[str, bool]]:
    """Map each lower-cased method name to {parameter: required}."""
    raw = json.loads(spec_path.read_text(encoding="utf-8"))
    return {
        name.lower(): {f["name"]: bool(f["required"]) for f in method.get("fields", [])}
        for name, method in raw["methods"].items()
    }


def spec_problems(calls: Iterable[Call], spec_path: Path) -> list[str]:
    """List every call that names an unknown method or parameter or lacks a required one."""
    methods = _methods(Path(spec_path))
    problems = []
    for index, call in enumerate(calls):
        fields = methods.get(call.method.lower())
        if fields is None:
            problems.append(f"call {index}: {call.method} is not a Bot API method")
            continue
        problems += [f"call {index}: {call.method} has unknown parameter {name}"
                     for name in call.params if name not in fields]
        problems += [f"call {index}: {call.method} lacks required parameter {name}"
                     for name, required in fields.items() if required and name not in call.params]
    return problems


def assert_calls_match_spec(calls: Iterable[Call], spec_path: Path) -> None:
    """Fail with every problem found when any call does not match api.json."""
    calls = list(calls)
    assert calls, "no Bot API calls were recorded"
    problems = spec_problems(calls, spec_path)
    assert not problems, "calls that do not match api.json:\n" + "\n".join(problems)
