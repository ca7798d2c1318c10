# The native libraries the wheels carry: pinned source releases and their
# SHA-256 (sourced by build_deps.sh). Each checksum is the one the conda-forge
# feedstock of that library verifies for the same URL (its recipe's `sha256:`),
# so a second, independent party has checked the same bytes; update the version,
# URL and checksum together, from the feedstock or the upstream release notes.
# shellcheck shell=bash disable=SC2034

# zlib: HDF5's deflate filter and h5linalg's fallback inflater.
# conda-forge/zlib-feedstock recipe/meta.yaml (zlib 1.3.2).
ZLIB_VERSION=1.3.2
ZLIB_URL="https://zlib.net/zlib-${ZLIB_VERSION}.tar.gz"
ZLIB_SHA256=bb329a0a2cd0274d05519d61c667c062e06990d72e125ee2dfa8de64f0119d16

# libdeflate: gzip chunks on worker threads.
# conda-forge/libdeflate-feedstock recipe/meta.yaml (libdeflate 1.25).
LIBDEFLATE_VERSION=1.25
LIBDEFLATE_URL="https://github.com/ebiggers/libdeflate/archive/v${LIBDEFLATE_VERSION}.tar.gz"
LIBDEFLATE_SHA256=d11473c1ad4c57d874695e8026865e38b47116bbcb872bfc622ec8f37a86017d

# zstd: Zstandard chunks (filter 32015).
# conda-forge/zstd-feedstock recipe/recipe.yaml (zstd 1.5.7).
ZSTD_VERSION=1.5.7
ZSTD_URL="https://github.com/facebook/zstd/archive/v${ZSTD_VERSION}.tar.gz"
ZSTD_SHA256=37d7284556b20954e56e1ca85b80226768902e2edabd3b649e9e72c0c9012ee3

# lz4: LZ4 chunks (filter 32004).
# conda-forge/lz4-c-feedstock recipe/meta.yaml (lz4-c 1.10.0).
LZ4_VERSION=1.10.0
LZ4_URL="https://github.com/lz4/lz4/archive/v${LZ4_VERSION}.tar.gz"
LZ4_SHA256=537512904744b35e232912055ccf8ec66d768639ff3abe5788d90d792ec5f48b

# c-blosc (1.x): Blosc chunks (filter 32001); built against the zlib, zstd and
# lz4 above rather than its internal copies.
# conda-forge/blosc-feedstock recipe/meta.yaml (blosc 1.21.6).
BLOSC_VERSION=1.21.6
BLOSC_URL="https://github.com/Blosc/c-blosc/archive/v${BLOSC_VERSION}.tar.gz"
BLOSC_SHA256=9fcd60301aae28f97f1301b735f966cc19e7c49b6b4321b839b4579a0c156f38

# liblzf: LZF chunks (filter 32000). Upstream ships only autotools; the build
# uses tools/wheels/liblzf/CMakeLists.txt (all platforms, Windows included).
# conda-forge/liblzf-feedstock recipe/meta.yaml (liblzf 3.6).
LZF_VERSION=3.6
LZF_URL="http://dist.schmorp.de/liblzf/liblzf-${LZF_VERSION}.tar.gz"
LZF_SHA256=9c5de01f7b9ccae40c3f619d26a7abec9986c06c36d260c179cedd04b89fb46a

# HDF5: the release h5py's wheels carry (ci/cibw_before_all_*.sh: 1.14.6).
# conda-forge/hdf5-feedstock recipe/meta.yaml at its 1.14.6 release.
HDF5_VERSION=1.14.6
HDF5_URL="https://support.hdfgroup.org/releases/hdf5/v1_14/v1_14_6/downloads/hdf5-${HDF5_VERSION}.tar.gz"
HDF5_SHA256=e4defbac30f50d64e1556374aa49e574417c9e72c6b1de7a4ff88c4b1bea6e9b

# BLAS/LAPACK: the OpenBLAS NumPy's and SciPy's wheels carry (symbols prefixed
# scipy_, 32-bit integers), installed from PyPI by pip, which checks the wheel
# against the index's hash.
SCIPY_OPENBLAS32_VERSION=0.3.34.481.3
