#!/usr/bin/env bash
# Builds the native libraries a wheel carries into PREFIX, from the pinned,
# checksum-verified source releases of versions.sh: zlib, libdeflate, zstd, lz4,
# c-blosc, liblzf and HDF5 (shared libraries, nothing else: no tools, tests,
# high-level or C++/Fortran APIs, and none of HDF5's network drivers, ROS3/curl,
# HDFS, or MPI), then the scipy_-prefixed OpenBLAS of scipy-openblas32. cibuildwheel
# runs it once per platform as `before-all` (pyproject.toml); it writes
#   PREFIX/lib, PREFIX/include, PREFIX/bin   the libraries (bin: Windows DLLs)
#   PREFIX/share/h5linalg/LICENSES_bundled.txt  every bundled library's licence
#   PREFIX/share/h5linalg/bundled.json       what was bundled (h5linalg.show_config)
# Usage: tools/wheels/build_deps.sh PREFIX   (Linux, macOS; Git Bash + MSVC on Windows)
set -euo pipefail

PREFIX="${1:?usage: build_deps.sh PREFIX}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/wheels/versions.sh
source "$HERE/versions.sh"
WORK="${H5LINALG_DEPS_WORK:-$PREFIX/src}"
mkdir -p "$PREFIX" "$WORK" "$PREFIX/share/h5linalg/licenses"
PREFIX="$(cd "$PREFIX" && pwd)"
JOBS="${CMAKE_BUILD_PARALLEL_LEVEL:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"
export CMAKE_BUILD_PARALLEL_LEVEL="$JOBS"
# A Python that runs (on Windows, python3 may be the Store's placeholder).
if [ -z "${PYTHON:-}" ]; then
  for candidate in python3 python; do
    if "$candidate" -c "import sys" >/dev/null 2>&1; then
      PYTHON="$candidate"
      break
    fi
  done
fi
: "${PYTHON:?build_deps.sh needs a Python (set PYTHON)}"
# CMake and Ninja-free builds: the image's CMake if it has one, else the PyPI wheel.
if ! command -v cmake >/dev/null; then
  "$PYTHON" -m pip install --disable-pip-version-check "cmake>=3.20"
fi
# GNU tar (Git Bash) would read C:/... as a remote host.
TAR_LOCAL=()
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) TAR_LOCAL=(--force-local) ;;
esac

case "$(uname -s)" in
  Darwin)
    # The oldest macOS the wheels support, as pyproject.toml's [tool.cibuildwheel]
    # (std::filesystem: 10.15 on Intel; arm64 starts at 11.0).
    if [ "$(uname -m)" = arm64 ]; then
      export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-11.0}"
    else
      export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-10.15}"
    fi
    ;;
esac

sha256_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# fetch NAME URL SHA256: downloads once into WORK, refuses a file whose checksum
# differs, unpacks into WORK/NAME.
fetch() {
  local name="$1" url="$2" expected="$3" archive="$WORK/$1.tar.gz"
  if [ ! -f "$archive" ] || [ "$(sha256_of "$archive")" != "$expected" ]; then
    curl -fsSL --retry 3 -o "$archive.part" "$url"
    mv "$archive.part" "$archive"
  fi
  local actual
  actual="$(sha256_of "$archive")"
  if [ "$actual" != "$expected" ]; then
    echo "build_deps.sh: $url has SHA-256 $actual, expected $expected" >&2
    exit 1
  fi
  rm -rf "${WORK:?}/$name"
  mkdir -p "$WORK/$name"
  tar ${TAR_LOCAL[@]+"${TAR_LOCAL[@]}"} -xzf "$archive" -C "$WORK/$name" --strip-components=1
}

# cmake_install SOURCE_DIR [CMAKE ARGS...]: a shared Release build into PREFIX.
cmake_install() {
  local source="$1"
  shift
  local build="$source/_build"
  cmake -S "$source" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DBUILD_SHARED_LIBS=ON \
    -DBUILD_TESTING=OFF \
    "$@"
  cmake --build "$build" --config Release
  cmake --install "$build" --config Release
}

# license NAME FILE...: the licence texts that travel with the wheel.
license() {
  local name="$1"
  shift
  cat "$@" >"$PREFIX/share/h5linalg/licenses/$name.txt"
}

fetch zlib "$ZLIB_URL" "$ZLIB_SHA256"
cmake_install "$WORK/zlib" -DZLIB_BUILD_TESTING=OFF -DZLIB_BUILD_STATIC=OFF
license zlib "$WORK/zlib/LICENSE"

fetch libdeflate "$LIBDEFLATE_URL" "$LIBDEFLATE_SHA256"
cmake_install "$WORK/libdeflate" \
  -DLIBDEFLATE_BUILD_STATIC_LIB=OFF -DLIBDEFLATE_BUILD_GZIP=OFF
license libdeflate "$WORK/libdeflate/COPYING"

fetch zstd "$ZSTD_URL" "$ZSTD_SHA256"
cmake_install "$WORK/zstd/build/cmake" \
  -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_STATIC=OFF -DZSTD_BUILD_SHARED=ON \
  -DZSTD_BUILD_TESTS=OFF -DZSTD_LEGACY_SUPPORT=OFF
license zstd "$WORK/zstd/LICENSE"

fetch lz4 "$LZ4_URL" "$LZ4_SHA256"
cmake_install "$WORK/lz4/build/cmake" \
  -DLZ4_BUILD_CLI=OFF -DLZ4_BUILD_LEGACY_LZ4C=OFF -DBUILD_STATIC_LIBS=OFF
license lz4 "$WORK/lz4/lib/LICENSE"

fetch blosc "$BLOSC_URL" "$BLOSC_SHA256"
# Against the zlib, zstd and lz4 above: one copy of each codec in the wheel.
rm -rf "$WORK/blosc/internal-complibs"
cmake_install "$WORK/blosc" \
  -DBUILD_STATIC=OFF -DBUILD_SHARED=ON -DBUILD_TESTS=OFF -DBUILD_BENCHMARKS=OFF \
  -DBUILD_FUZZERS=OFF -DDEACTIVATE_SNAPPY=ON \
  -DPREFER_EXTERNAL_LZ4=ON -DPREFER_EXTERNAL_ZLIB=ON -DPREFER_EXTERNAL_ZSTD=ON
license blosc "$WORK/blosc/LICENSE.txt"

fetch liblzf "$LZF_URL" "$LZF_SHA256"
cmake_install "$HERE/liblzf" -DLZF_SOURCE_DIR="$WORK/liblzf" -DLZF_VERSION="$LZF_VERSION"
# liblzf's licence is the header of its sources (BSD-2-Clause or GPL-2.0+).
sed -n '1,/\*\//p' "$WORK/liblzf/lzf.h" >"$PREFIX/share/h5linalg/licenses/liblzf.txt"

fetch hdf5 "$HDF5_URL" "$HDF5_SHA256"
cmake_install "$WORK/hdf5" \
  -DBUILD_STATIC_LIBS=OFF \
  -DHDF5_BUILD_TOOLS=OFF -DHDF5_BUILD_UTILS=OFF -DHDF5_BUILD_EXAMPLES=OFF \
  -DHDF5_BUILD_HL_LIB=OFF -DHDF5_BUILD_CPP_LIB=OFF -DHDF5_BUILD_FORTRAN=OFF \
  -DHDF5_BUILD_JAVA=OFF -DHDF5_BUILD_DOC=OFF \
  -DHDF5_ENABLE_Z_LIB_SUPPORT=ON -DHDF5_ENABLE_SZIP_SUPPORT=OFF \
  -DHDF5_ALLOW_EXTERNAL_SUPPORT=NO \
  -DHDF5_ENABLE_ROS3_VFD=OFF -DHDF5_ENABLE_HDFS=OFF -DHDF5_ENABLE_PARALLEL=OFF \
  -DHDF5_ENABLE_SUBFILING_VFD=OFF -DHDF5_ENABLE_MIRROR_VFD=OFF -DHDF5_ENABLE_DIRECT_VFD=OFF \
  -DHDF5_ENABLE_THREADSAFE=OFF -DHDF5_ENABLE_MAP_API=OFF
license hdf5 "$WORK/hdf5/COPYING"

# OpenBLAS: scipy-openblas32's library and headers, copied next to the others so
# the repair tools find it where they find the rest.
"$PYTHON" -m pip install --disable-pip-version-check --no-deps \
  --target "$WORK/scipy-openblas32" "scipy-openblas32==$SCIPY_OPENBLAS32_VERSION"
openblas="$WORK/scipy-openblas32/scipy_openblas32"
mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$PREFIX/include"
cp -R "$openblas/lib/." "$PREFIX/lib/"
cp -R "$openblas/include/." "$PREFIX/include/"
if compgen -G "$openblas/lib/*.dll" >/dev/null; then cp "$openblas"/lib/*.dll "$PREFIX/bin/"; fi
cat "$WORK"/scipy-openblas32/scipy_openblas32-*.dist-info/licenses/* \
  >"$PREFIX/share/h5linalg/licenses/openblas.txt" 2>/dev/null \
  || cat "$WORK"/scipy-openblas32/scipy_openblas32-*.dist-info/LICENSE* \
    >"$PREFIX/share/h5linalg/licenses/openblas.txt"

"$PYTHON" "$HERE/bundled_info.py" \
  --output "$PREFIX/share/h5linalg" --licenses "$PREFIX/share/h5linalg/licenses" \
  --origin "built from source by tools/wheels/build_deps.sh" \
  --library "HDF5=$HDF5_VERSION" --library "zlib=$ZLIB_VERSION" \
  --library "libdeflate=$LIBDEFLATE_VERSION" --library "zstd=$ZSTD_VERSION" \
  --library "lz4=$LZ4_VERSION" --library "blosc=$BLOSC_VERSION" \
  --library "liblzf=$LZF_VERSION" \
  --library "OpenBLAS=scipy-openblas32 $SCIPY_OPENBLAS32_VERSION (symbols prefixed scipy_)"
echo "build_deps.sh: the libraries are in $PREFIX"
