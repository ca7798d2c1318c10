"""hdf5plugin's compression filters (Zstandard, Blosc, LZ4, Bitshuffle, ...) with
no setup: when the hdf5plugin package is installed, a dataset that needs one of
its filters gets a private copy of the plugin bound to h5linalg's own HDF5
library (src/core/hdf5/plugins.hpp says why a copy). A plugin found on a
user's HDF5_PLUGIN_PATH keeps precedence.

hdf5plugin itself is not imported (it imports h5py and binds its plugins to
h5py's HDF5): only its plugin folder is located, at import, and nothing is
loaded until a dataset needs a filter.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from . import _core


def hdf5plugin_folder() -> Path | None:
    """The folder of hdf5plugin's plugin libraries, or None if it is not installed."""
    spec = importlib.util.find_spec("hdf5plugin")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "plugins"
    return folder if folder.is_dir() else None


def use_hdf5plugin() -> None:
    """Makes hdf5plugin's filters available, when the package is installed.

    ``import h5linalg`` calls it once: there is nothing to call, import or set
    (no ``HDF5_PLUGIN_PATH``). Only hdf5plugin's plugin folder is located; a
    plugin is loaded, as a private copy bound to h5linalg's own HDF5 library,
    the first time a dataset needs its filter, and a plugin on the user's
    ``HDF5_PLUGIN_PATH`` takes precedence. Calling it again changes nothing.

    Examples
    --------
    >>> h5linalg.use_hdf5plugin()  # already done by the import
    """
    folder = hdf5plugin_folder()
    if folder is not None:
        _core.use_plugin_folder(str(folder))


#: HDF5's own filters, by id.
BUILT_IN_FILTERS = {
    1: "deflate (gzip)",
    2: "shuffle",
    3: "fletcher32",
    4: "szip",
    5: "nbit",
    6: "scaleoffset",
}


def filter_report() -> dict[str, Any]:
    """The filters h5linalg's HDF5 can decode, and where each comes from."""
    report: dict[str, Any] = {
        "built in": [
            n for i, n in BUILT_IN_FILTERS.items() if _core.filter_available(i)
        ],
    }
    folder = _core.plugin_folder_report()
    if not folder["folder"]:
        report["hdf5plugin"] = "not installed (pip or conda install hdf5plugin)"
    else:
        filters = folder["filters"]
        report["hdf5plugin"] = {
            "folder": folder["folder"],
            "bound to": folder["hdf5_library"],
            "filters": [f"{f['name'].split(';')[0]} ({f['id']})" for f in filters],
            "bound": [f["id"] for f in filters if f["bound"]],
            "skipped": folder["skipped"],
        }
    report["plugin search path"] = _core.plugin_search_path()
    return report
