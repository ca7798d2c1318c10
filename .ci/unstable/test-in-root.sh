#!/usr/bin/env bash
# Runs inside the Debian unstable root, in a clone of the checkout at $1: the
# build with warnings as errors against the root's HDF5, GCC and Python, then
# ctest and the default suite, with NumPy and h5py from Debian (so h5py shares
# h5linalg's libhdf5, as on conda-forge).
set -euo pipefail
cd "$1"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
python3 -m venv --system-site-packages /opt/venv
# shellcheck disable=SC1091
. /opt/venv/bin/activate
python -m pip install -q -U pip
# Debian's numpy and h5py satisfy the groups' requirements, so pip keeps them.
python -m pip install -q --group build --group test
python - <<'PY'
import h5py, numpy
assert numpy.__file__.startswith("/usr/lib/python3/"), numpy.__file__
assert h5py.__file__.startswith("/usr/lib/python3/"), h5py.__file__
print("numpy", numpy.__version__, "h5py", h5py.__version__, "on HDF5", h5py.version.hdf5_version)
PY
python -m pip install -q --no-build-isolation --no-deps -Cbuild-dir=build/dev \
  -Ccmake.define.BUILD_TESTING=ON -Ccmake.define.H5LINALG_WERROR=ON -e .
python -c "import h5linalg; h5linalg.show_config()"
python - <<'PY'
# The point of this stage: HDF5 2, and one libhdf5 for h5py and h5linalg.
import h5py, h5linalg
running = h5linalg._core.build_info()["hdf5_running"]
assert running.split(".")[0] == "2", f"HDF5 {running}, not HDF5 2"
assert h5py.version.hdf5_version == running, (h5py.version.hdf5_version, running)
PY
ctest --test-dir build/dev -C Release --output-on-failure -j2
python -m pytest -q -p no:cacheprovider
