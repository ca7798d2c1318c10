"""The issue's targets, the rows of targets.toml, evaluated on the medians of one run.

Every target reports the measured value, the limit and met / not met; a target
whose inputs were not measured in this run (``--only``) is "not evaluated".
"""

from __future__ import annotations

import ast
import math
import operator
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workloads import WORKLOADS

TABLE = Path(__file__).resolve().with_name("targets.toml")
MIB = 1024 * 1024
NAN = float("nan")
#: The variant keys a row may name, by workload: a typo is an error, not a
#: target that is never evaluated.
KNOWN = {
    workload.name: {variant.key for variant in workload.variants}
    for workload in WORKLOADS
}
_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@dataclass
class Target:
    workload: str
    target: str
    measured: str
    met: bool | None  # None: not evaluated
    value: float = NAN
    limit: float = NAN

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT met", None: "not evaluated"}[self.met]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict
        return data


Row = dict[str, Any]


def evaluate(results: dict[str, Any]) -> list[Target]:
    """Every row of targets.toml on ``results`` (run.py's results.json)."""
    if not results["workloads"]:
        return []
    cores = results["machine"]["cpu_count"] or 1
    found = []
    for row in tomllib.loads(TABLE.read_text())["target"]:
        rule = RULES.get(row.get("rule", "compare"))
        if rule is None:
            msg = (
                f"{TABLE.name}: no rule {row['rule']!r}; choose from {', '.join(RULES)}"
            )
            raise ValueError(msg)
        target = rule(row, results, cores)
        if target is not None:
            found.append(target)
    return found


def median(results: dict[str, Any], workload: str, key: str) -> float:
    """The median seconds of one variant in ``results``; NaN when not measured."""
    if key not in KNOWN.get(workload, ()):
        msg = f"{TABLE.name}: workload {workload!r} has no variant {key!r}"
        raise ValueError(msg)
    variant = results["workloads"].get(workload, {}).get("variants", {}).get(key)
    value = variant["summary"].get("median") if variant else None
    return NAN if value is None else float(value)


def calculate(expression: str | float, lookup: Callable[[str], float]) -> float:
    """The value of a row's expression (+ - * /, max(), numbers and names); a
    number stands for itself."""
    if not isinstance(expression, str):
        return expression

    def value(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            return lookup(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return lookup(f"{node.value.id}.{node.attr}")
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "max"
            and not node.keywords
        ):
            return max(value(argument) for argument in node.args)
        msg = f"{TABLE.name}: {ast.unparse(node)!r} in {expression!r} is not an expression of medians"
        raise ValueError(msg)

    return value(ast.parse(expression, mode="eval").body)  # type: ignore[no-any-return]


def compare(row: Row, results: dict[str, Any], cores: int) -> Target:
    """A value of medians against its limit (``at_most`` or ``at_least``)."""
    names: dict[str, Any] = {"cores": cores}

    def lookup(name: str) -> float:
        if name in names:
            return float(names[name])
        workload, _, key = name.rpartition(".")
        return median(results, workload or row["workload"], key)

    for name, expression in row.get("where", {}).items():
        names[name] = calculate(expression, lookup)
    value = calculate(row["value"], lookup)
    at_most = "at_most" in row
    limit = calculate(row["at_most" if at_most else "at_least"], lookup)
    if not all(math.isfinite(number) and number > 0 for number in (value, limit)):
        return Target(row["workload"], row["target"], "-", None, value, limit)
    variants = {key: lookup(key) for key in KNOWN[row["workload"]]}
    measured = row["measured"].format_map(
        {**variants, **names, "value": value, "limit": limit}
    )
    met = value <= limit if at_most else value >= limit
    return Target(row["workload"], row["target"], measured, met, value, limit)


def accuracy(row: Row, results: dict[str, Any], _cores: int) -> Target:
    """The coefficients' relative error against the true beta, h5linalg's and
    the normal equations'."""
    errors = (
        results["workloads"].get(row["workload"], {}).get("accuracy_vs_true_beta", {})
    )
    mine = errors.get("h5linalg", NAN)
    normal = errors.get("h5py_normal_equations", NAN)
    if not math.isfinite(mine):
        return Target(row["workload"], row["target"], "-", None)
    met = mine <= row["at_most"] and (
        not math.isfinite(normal) or normal > row["fails_above"]
    )
    measured = (
        f"relative error h5linalg {mine:.1e}, normal equations {normal:.1e}, "
        f"numpy.linalg.lstsq {errors.get('numpy_lstsq_in_memory', NAN):.1e}"
    )
    return Target(row["workload"], row["target"], measured, met, mine, row["at_most"])


def memory(row: Row, results: dict[str, Any], _cores: int) -> Target | None:
    """The largest peak-memory growth of any workload's h5linalg variant."""
    growth = {}
    for name, workload in results["workloads"].items():
        variant = workload["variants"].get("h5linalg")
        if variant and variant["summary"].get("median") is not None:
            growth[name] = variant["summary"]["growth_max"]
    if not growth:
        return None
    worst_key = max(growth, key=lambda key: growth[key])
    worst = growth[worst_key]
    listed = ", ".join(
        f"{key} {value / MIB:.0f}" for key, value in sorted(growth.items())
    )
    return Target(
        row["workload"],
        row["target"],
        f"max {worst / MIB:.0f} MiB ({worst_key}); per workload MiB: {listed}",
        worst <= row["at_most"],
        worst,
        row["at_most"],
    )


RULES: dict[str, Callable[[Row, dict[str, Any], int], Target | None]] = {
    "compare": compare,
    "accuracy": accuracy,
    "memory": memory,
}
