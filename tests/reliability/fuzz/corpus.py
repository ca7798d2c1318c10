"""The committed files that once failed: replayed on every run, and new findings added.

Hypothesis's example database keeps its own failing examples, but as choice
sequences private to one checkout; these are HDF5 files anyone can open.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fuzz.files import Case
from fuzz.oracle import Failure

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
#: Corpus files larger than this are not kept.
MAX_CORPUS_BYTES = 256 * 1024


def cases(directory: Path = CORPUS) -> list[Case]:
    """The kept files, as cases (their JSON says where they came from)."""
    found = []
    for path in sorted(directory.glob("*.h5")):
        meta = json.loads(path.with_suffix(".json").read_text())
        found.append(
            Case(
                id=path.stem,
                path=str(path),
                template=meta["template"],
                mutation=meta["mutation"],
                detail=meta["detail"],
            )
        )
    return found


def keep(failure: Failure, directory: Path = CORPUS) -> str | None:
    """Copies a failing case's file into the corpus (unless it is too large); its name."""
    path = Path(failure.case.path)
    if path.stat().st_size > MAX_CORPUS_BYTES:
        return None
    target = directory / f"{failure.kind}-{failure.case.id}.h5"
    shutil.copyfile(path, target)
    meta = {
        "template": failure.case.template,
        "mutation": failure.case.mutation,
        "detail": failure.case.detail,
        "failure": failure.kind,
        "message": failure.detail[:1000],
    }
    target.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    return target.name
