"""The process of one measurement: ``python benchmarks/child.py SPEC_JSON``.

Started by measure.run_child(). Runs the variant the spec names (a function of
workloads.py or baselines.py), timed by its :class:`measure.Clock`, and prints
one result line for the parent. A module of its own because it is the only
one that needs every variant: measure.py, which the variants import for their
Clock, stays free of them.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any

import numpy as np
import workloads
from measure import RESULT_PREFIX, Clock, Skip, blas_info, peak_rss_bytes


def child_main(argv: list[str]) -> int:
    """Runs the variant named in the JSON spec argv[1] and prints its result line."""
    spec: dict[str, Any] = json.loads(argv[1])
    function = workloads.VARIANTS[spec["variant"]]
    clock = Clock()
    try:
        extra = function(spec["params"], clock)
    except Skip as reason:
        return _report({"skipped": str(reason)}, 0)
    except Exception:  # noqa: BLE001 - reported to the parent as a failed measurement
        return _report({"error": traceback.format_exc()}, 1)
    if not clock.used:
        return _report({"error": "the variant did not use its Clock"}, 1)
    extra = dict(extra or {})
    extra["others_cpu_timed"] = clock.others_cpu
    core = sys.modules.get("h5linalg._core")
    if core is not None and getattr(core, "__file__", None):
        # The extension's build time, so that a result can be matched to the
        # build that produced it when the engine is rebuilt between runs.
        extra["h5linalg_core_mtime"] = time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.localtime(os.path.getmtime(str(core.__file__)))
        )
    array = extra.pop("_array", None)
    if array is not None and spec["params"].get("save_result"):
        np.save(spec["params"]["save_result"], array)
    result = {
        "seconds": clock.wall,
        "cpu_seconds": clock.cpu,
        "rss_before": clock.rss_before,
        "region_peak_rss": clock.region_peak,
        "peak_rss": peak_rss_bytes(),
        "blas": blas_info(),
        "extra": extra,
    }
    return _report(result, 0)


def _report(result: dict[str, Any], status: int) -> int:
    """Prints the result line the parent reads; returns the exit status."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(child_main(sys.argv))
