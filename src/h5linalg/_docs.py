"""The parameter documentation the public functions share, written once.

A docstring names a shared block by a line holding only ``{name}`` (indented as
the block should be); :func:`fill_doc` puts the block there when the function
is defined, so ``help()``, Sphinx's autodoc and the doctests all see the full
text. Braces anywhere else in a docstring are left alone.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: The keyword options of the local functions, in full (moments, gram, covariance, pca).
OPTIONS = """\
block_rows : int, optional
    Rows per block (keyword-only). Default: chosen from the chunking and
    ``memory_limit``, in whole chunks.
progress : bool or callable, default False
    ``True`` draws a bar on a terminal; a callable is called as
    ``progress(rows_done, rows_total)`` once per block (an exception it
    raises stops the run).
allow_external : bool, default False
    Follow external links, external raw storage and virtual datasets, which
    read other files. Leave it off for files you do not trust.
memory_limit : int or str, optional
    Bytes of block buffers h5linalg may hold (default 256 MiB): an int, or a
    string with a unit, ``"512M"``, ``"1.5G"``, ``"2GiB"`` (binary units;
    ``"2GB"`` is decimal, 2 * 10**9)."""

#: The same options in brief, after a function's own parameters (lstsq, matmul).
OPTIONS_IN_BRIEF = """\
block_rows : int, optional
    Rows per block (keyword-only); default: chosen from the chunking and memory.
progress : bool or callable, default False
    A bar on a terminal, or ``progress(rows_done, rows_total)`` per block.
allow_external : bool, default False
    Follow links and storage that read other files.
memory_limit : int or str, optional
    Bytes of block buffers (default 256 MiB): an int, or a string such as
    ``"512M"`` or ``"2GiB"`` (binary units; ``"2GB"`` is decimal)."""

#: The errors of reading a source, under "Raises" (moments, gram, covariance).
SOURCE_ERRORS = """\
FileNotFoundError
    A file of the source does not exist.
KeyError
    The dataset is not in the file.
TypeError
    The source or its dtype cannot be read as numbers.
ValueError
    The source is not 2-D, or an option is out of range.
PermissionError
    The dataset reads another file and ``allow_external`` is False.
OSError
    The file is damaged."""

#: NumPy's warning when ``ddof >= count``, under "Warns" (moments, covariance).
DDOF_WARNING = """\
RuntimeWarning
    "Degrees of freedom <= 0 for slice", as NumPy's, when ``ddof >= count``."""

#: The two keyword options h5linalg.distributed adds to every function.
CLUSTER_OPTIONS = """\
client : distributed.Client, optional
    The cluster to run on (keyword-only); default: the current client.
partition_rows : int, optional
    Rows per task; default: at least four tasks per worker, at most 1 GiB
    of float64 each, in whole chunks."""

BLOCKS = {
    "options": OPTIONS,
    "options_in_brief": OPTIONS_IN_BRIEF,
    "source_errors": SOURCE_ERRORS,
    "ddof_warning": DDOF_WARNING,
    "cluster_options": CLUSTER_OPTIONS,
}

_PLACEHOLDER = re.compile(r"^([ \t]*)\{(\w+)\}$", re.MULTILINE)


def fill(doc: str) -> str:
    """``doc`` with every ``{name}`` line replaced by that block, at that indentation."""

    def block(match: re.Match[str]) -> str:
        indent, name = match.groups()
        if name not in BLOCKS:
            msg = f"no shared documentation block named {name!r}"
            raise KeyError(msg)
        return textwrap.indent(BLOCKS[name], indent)

    return _PLACEHOLDER.sub(block, doc)


def fill_doc(function: F) -> F:
    """Fills in the shared blocks of ``function``'s docstring (a decorator)."""
    if function.__doc__:
        function.__doc__ = fill(function.__doc__)
    return function
