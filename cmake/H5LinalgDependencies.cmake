# Finds the native libraries h5linalg links, the same way in a conda/pixi
# environment, in conda-build/rattler-build, and against system packages:
#   HDF5 (C library, 1.10.8 through 2.x), the generic BLAS, CBLAS and LAPACK
#   libraries, zlib and threads. Prints what it found; a missing library stops
#   configuration with the package to install.

# Inside conda-build / rattler-build the libraries live in the host prefix
# ($PREFIX); inside an activated conda or pixi environment, in $CONDA_PREFIX.
if(DEFINED ENV{CONDA_BUILD} AND DEFINED ENV{PREFIX})
  set(_h5linalg_conda_prefix "$ENV{PREFIX}")
elseif(DEFINED ENV{CONDA_PREFIX})
  set(_h5linalg_conda_prefix "$ENV{CONDA_PREFIX}")
endif()
if(_h5linalg_conda_prefix)
  if(WIN32)
    list(PREPEND CMAKE_PREFIX_PATH "${_h5linalg_conda_prefix}/Library")
  else()
    list(PREPEND CMAKE_PREFIX_PATH "${_h5linalg_conda_prefix}")
  endif()
endif()

function(h5linalg_missing what conda_package apt_package hint)
  message(FATAL_ERROR
    "h5linalg needs ${what}, which was not found.\n"
    "  conda / pixi:   add '${conda_package}' to the environment (pixi add ${conda_package})\n"
    "  Debian/Ubuntu:  sudo apt install ${apt_package}\n"
    "  elsewhere:      ${hint}\n")
endfunction()

# --- HDF5 -------------------------------------------------------------------
# FindHDF5 tries HDF5's own CMake config first (conda-forge, HDF5 2.x), then the
# h5cc compiler wrapper (Debian). HDF5_ROOT or HDF5_DIR point it elsewhere.
set(HDF5_PREFER_PARALLEL OFF)
find_package(HDF5 COMPONENTS C)
if(NOT HDF5_FOUND)
  h5linalg_missing("the HDF5 C library (1.10.8 or newer)" "hdf5" "libhdf5-dev"
                   "set HDF5_ROOT to the HDF5 installation prefix")
endif()
if(HDF5_VERSION AND HDF5_VERSION VERSION_LESS 1.10.8)
  message(FATAL_ERROR "h5linalg needs HDF5 1.10.8 or newer; found ${HDF5_VERSION}")
endif()
if(HDF5_IS_PARALLEL)
  message(WARNING "h5linalg: found a parallel (MPI) HDF5; h5linalg uses it serially")
endif()

# --- BLAS, CBLAS, LAPACK ------------------------------------------------------
# Link the generic netlib-ABI libraries (libblas, libcblas, liblapack), never an
# implementation such as libopenblas by name: conda-forge and Debian then let
# users swap the implementation at install time (libblas=*=*mkl,
# update-alternatives). Pass -DBLA_VENDOR=... to choose one at build time instead.
if(NOT DEFINED BLA_VENDOR)
  set(BLA_VENDOR Generic)
endif()
find_package(BLAS)
if(NOT BLAS_FOUND)
  h5linalg_missing("a BLAS library (libblas)" "libblas" "libopenblas-dev (or libblas-dev)"
                   "set BLA_VENDOR or CMAKE_PREFIX_PATH so FindBLAS can see it")
endif()
find_package(LAPACK)
if(NOT LAPACK_FOUND)
  h5linalg_missing("a LAPACK library (liblapack)" "liblapack" "libopenblas-dev (or liblapack-dev)"
                   "set BLA_VENDOR or CMAKE_PREFIX_PATH so FindLAPACK can see it")
endif()

include(CheckFunctionExists)
include(CMakePushCheckState)
# Debian's libblas.so.3 contains CBLAS; conda-forge ships it as libcblas.
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_REQUIRED_LIBRARIES ${BLAS_LIBRARIES})
check_function_exists(cblas_dsyrk H5LINALG_CBLAS_IN_BLAS)
cmake_pop_check_state()
set(H5LINALG_CBLAS_LIBRARIES "")
if(NOT H5LINALG_CBLAS_IN_BLAS)
  find_library(CBLAS_LIBRARY NAMES cblas)
  if(NOT CBLAS_LIBRARY)
    h5linalg_missing("the CBLAS interface (libcblas, or a BLAS that includes it)" "libcblas"
                     "libopenblas-dev (or libblas-dev)" "set CBLAS_LIBRARY to libcblas")
  endif()
  set(H5LINALG_CBLAS_LIBRARIES "${CBLAS_LIBRARY}")
endif()
# dtplqt (streaming QR) arrived in LAPACK 3.7.
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_REQUIRED_LIBRARIES ${LAPACK_LIBRARIES} ${BLAS_LIBRARIES})
check_function_exists(dtplqt_ H5LINALG_LAPACK_HAS_DTPLQT)
cmake_pop_check_state()
if(NOT H5LINALG_LAPACK_HAS_DTPLQT)
  message(FATAL_ERROR "h5linalg needs LAPACK 3.7 or newer (dtplqt); ${LAPACK_LIBRARIES} lacks it")
endif()

add_library(h5linalg_blas_lapack INTERFACE)
target_link_libraries(h5linalg_blas_lapack INTERFACE
  ${LAPACK_LIBRARIES} ${H5LINALG_CBLAS_LIBRARIES} ${BLAS_LIBRARIES})

# --- zlib and threads -----------------------------------------------------------
# zlib inflates gzip-compressed HDF5 chunks on worker threads (src/core/chunk_reader).
find_package(ZLIB)
if(NOT ZLIB_FOUND)
  h5linalg_missing("zlib" "zlib" "zlib1g-dev" "set ZLIB_ROOT")
endif()
find_package(Threads REQUIRED)

# --- libdeflate (optional) ---------------------------------------------------------
# Inflates gzip chunks about twice as fast as zlib, to the same bytes (both check
# the stream's Adler-32); zlib does the work where libdeflate is absent. Every
# build this project makes has it (pixi, the recipes, .ci/run); -DH5LINALG_LIBDEFLATE=OFF
# leaves it out. Found by header and library name: Debian ships no CMake package
# for it, and the library is libdeflate.so on Unix, deflate.lib on Windows.
option(H5LINALG_LIBDEFLATE "Inflate gzip chunks with libdeflate when it is found" ON)
add_library(h5linalg_codecs INTERFACE)
set(_libdeflate "not used")
if(H5LINALG_LIBDEFLATE)
  find_path(LIBDEFLATE_INCLUDE_DIR libdeflate.h)
  find_library(LIBDEFLATE_LIBRARY NAMES deflate libdeflate)
  if(LIBDEFLATE_INCLUDE_DIR AND LIBDEFLATE_LIBRARY)
    target_include_directories(h5linalg_codecs INTERFACE "${LIBDEFLATE_INCLUDE_DIR}")
    target_link_libraries(h5linalg_codecs INTERFACE "${LIBDEFLATE_LIBRARY}")
    target_compile_definitions(h5linalg_codecs INTERFACE H5LINALG_HAVE_LIBDEFLATE=1)
    set(_libdeflate "${LIBDEFLATE_LIBRARY}")
  else()
    set(_libdeflate "not found (zlib inflates; conda: libdeflate, Debian: libdeflate-dev)")
  endif()
endif()

# --- Summary ------------------------------------------------------------------
if(H5LINALG_CBLAS_IN_BLAS)
  set(_cblas "in the BLAS library")
else()
  set(_cblas "${CBLAS_LIBRARY}")
endif()
message(STATUS "h5linalg ${H5LINALG_VERSION} configuration:")
message(STATUS "  HDF5    ${HDF5_VERSION}: ${HDF5_C_INCLUDE_DIRS}")
message(STATUS "          ${HDF5_C_LIBRARIES}")
message(STATUS "  BLAS    ${BLAS_LIBRARIES} (BLA_VENDOR=${BLA_VENDOR})")
message(STATUS "  CBLAS   ${_cblas}")
message(STATUS "  LAPACK  ${LAPACK_LIBRARIES}")
message(STATUS "  zlib    ${ZLIB_VERSION_STRING}: ${ZLIB_LIBRARIES}")
message(STATUS "  libdeflate ${_libdeflate}")
