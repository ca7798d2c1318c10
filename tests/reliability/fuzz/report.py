"""The campaign's JSON report (tests/reliability/results/fuzz-report.json, docs/conf.py).

Hypothesis's statistics say how examples were drawn, not how h5linalg's calls
ended; the reliability page shows these counts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: Exceptions the README promises for bad input.
DOCUMENTED_ERRORS = {
    "OSError",
    "FileNotFoundError",
    "PermissionError",
    "KeyError",
    "TypeError",
    "ValueError",
    "MemoryError",
    "LinAlgError",
    "RowBudgetExceeded",
}


@dataclass
class Summary:
    cases: int = 0
    seed: int = 0
    seconds: float = 0.0
    by_mutation: dict[str, int] = field(default_factory=dict)
    #: function -> {"result": n, "ValueError": n, ...}
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    results_compared: int = 0
    h5py_readable: int = 0
    #: damaged files whose data h5linalg's HDF5 and h5py's HDF5 read differently
    #: (undefined data: nothing to compare h5linalg's results with)
    libraries_disagree: int = 0
    h5py_crashed: int = 0
    h5py_crash_cases: list[str] = field(default_factory=list)
    stopped_by_budget: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    undocumented_errors: dict[str, list[str]] = field(default_factory=dict)

    def add_case(self, case: Any) -> None:
        self.cases += 1
        self.by_mutation[case.mutation] = self.by_mutation.get(case.mutation, 0) + 1

    def add_outcomes(self, case: Any, outcomes: dict[str, dict[str, Any]]) -> None:
        for name, outcome in outcomes.items():
            exception = outcome["status"] == "exception"
            label = outcome["type"] if exception else outcome["status"]
            counts = self.outcomes.setdefault(name, {})
            counts[label] = counts.get(label, 0) + 1
            if exception and label not in DOCUMENTED_ERRORS:
                examples = self.undocumented_errors.setdefault(label, [])
                if len(examples) < 5:
                    examples.append(f"{case.id} {name}: {outcome['message'][:200]}")

    def add_failure(self, failure: Any, corpus_file: str | None) -> None:
        case = failure.case
        self.failures.append(
            {
                "case": case.id,
                "kind": failure.kind,
                "template": case.template,
                "mutation": f"{case.mutation}: {case.detail}",
                "detail": failure.detail,
                "corpus_file": corpus_file,
            }
        )

    def json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"
