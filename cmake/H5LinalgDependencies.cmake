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
#
# The wheels instead link one library that provides BLAS, CBLAS and LAPACK under
# prefixed names (scipy-openblas32: scipy_cblas_dgemm, scipy_dgesdd_), so that the
# OpenBLAS they carry cannot clash with another BLAS in the process:
#   -DH5LINALG_BLAS_SYMBOL_PREFIX=scipy_ -DH5LINALG_BLAS_LIBRARIES=/path/libscipy_openblas.so
# (src/core/base/blas_lapack.hpp prepends the prefix to every symbol h5linalg calls).
set(H5LINALG_BLAS_SYMBOL_PREFIX "" CACHE STRING
    "Prefix of every BLAS/CBLAS/LAPACK symbol (scipy_ for scipy-openblas32; empty: the generic names)")
set(H5LINALG_BLAS_LIBRARIES "" CACHE STRING
    "The libraries providing BLAS, CBLAS and LAPACK, bypassing FindBLAS/FindLAPACK (wheels)")
if(NOT H5LINALG_BLAS_SYMBOL_PREFIX MATCHES "^[A-Za-z0-9_]*$")
  message(FATAL_ERROR "H5LINALG_BLAS_SYMBOL_PREFIX must be a C identifier prefix; got "
                      "'${H5LINALG_BLAS_SYMBOL_PREFIX}'")
endif()
set(_blas_prefix "${H5LINALG_BLAS_SYMBOL_PREFIX}")
if(H5LINALG_BLAS_LIBRARIES)
  set(BLAS_LIBRARIES "${H5LINALG_BLAS_LIBRARIES}")
  set(LAPACK_LIBRARIES "")
  set(BLA_VENDOR "H5LINALG_BLAS_LIBRARIES")
else()
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
endif()

include(CheckFunctionExists)
include(CMakePushCheckState)
# Debian's libblas.so.3 contains CBLAS; conda-forge ships it as libcblas.
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_REQUIRED_LIBRARIES ${BLAS_LIBRARIES})
check_function_exists(${_blas_prefix}cblas_dsyrk H5LINALG_CBLAS_IN_BLAS)
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
check_function_exists(${_blas_prefix}dtplqt_ H5LINALG_LAPACK_HAS_DTPLQT)
cmake_pop_check_state()
if(NOT H5LINALG_LAPACK_HAS_DTPLQT)
  message(FATAL_ERROR "h5linalg needs LAPACK 3.7 or newer (dtplqt); ${LAPACK_LIBRARIES} lacks it")
endif()

add_library(h5linalg_blas_lapack INTERFACE)
target_link_libraries(h5linalg_blas_lapack INTERFACE
  ${LAPACK_LIBRARIES} ${H5LINALG_CBLAS_LIBRARIES} ${BLAS_LIBRARIES})
if(_blas_prefix)
  target_compile_definitions(h5linalg_blas_lapack INTERFACE
    H5LINALG_BLAS_SYMBOL_PREFIX=${_blas_prefix})
endif()

# --- zlib and threads -----------------------------------------------------------
# zlib inflates gzip-compressed HDF5 chunks on worker threads (src/core/hdf5/chunk_codecs).
find_package(ZLIB)
if(NOT ZLIB_FOUND)
  h5linalg_missing("zlib" "zlib" "zlib1g-dev" "set ZLIB_ROOT")
endif()
find_package(Threads REQUIRED)

# --- Optional codec libraries -------------------------------------------------------
# Each decodes one compression filter's chunks on worker threads (src/core/
# hdf5/chunk_codecs.cpp); a codec whose library is absent stays on HDF5's pipeline (the
# filter plugin). Every build this project makes has them all (pixi, the recipes,
# .ci/run: CI checks H5LINALG_EXPECT_CODECS); -D<option>=OFF leaves one out. Found
# by header and library name: Debian ships no CMake package for most of them, and
# the library names differ between Unix and Windows. Inside conda-build only the
# host prefix is searched: a library found in /usr would make the package depend
# on the machine that built it.
add_library(h5linalg_codecs INTERFACE)

# h5linalg_optional_codec(<VAR> <option> <help> <header> <header subfolder> <libraries>
#                         <conda package> <Debian package> <without>)
# Finds <header> and one of <libraries> (a ;-list) unless <option> is OFF; when both
# are found, links the library into h5linalg_codecs and defines H5LINALG_HAVE_<VAR>.
# Sets <VAR>_LIBRARY and <VAR>_INCLUDE_DIR (cache), H5LINALG_HAVE_<VAR>, and
# _h5linalg_<VAR> to the configure summary's line (<without>: what happens instead).
function(h5linalg_optional_codec var option help header subfolder libraries conda_package
         debian_package without)
  option(${option} "${help}" ON)
  set(H5LINALG_HAVE_${var} FALSE PARENT_SCOPE)
  if(NOT ${option})
    set(_h5linalg_${var} "not used (${option}=OFF: ${without})" PARENT_SCOPE)
    return()
  endif()
  set(_where "")
  if(DEFINED ENV{CONDA_BUILD} AND _h5linalg_conda_prefix)
    set(_where NO_CMAKE_SYSTEM_PATH NO_SYSTEM_ENVIRONMENT_PATH)
  endif()
  find_path(${var}_INCLUDE_DIR ${header} PATH_SUFFIXES ${subfolder} ${_where})
  find_library(${var}_LIBRARY NAMES ${libraries} ${_where})
  if(${var}_INCLUDE_DIR AND ${var}_LIBRARY)
    target_include_directories(h5linalg_codecs INTERFACE "${${var}_INCLUDE_DIR}")
    target_link_libraries(h5linalg_codecs INTERFACE "${${var}_LIBRARY}")
    target_compile_definitions(h5linalg_codecs INTERFACE H5LINALG_HAVE_${var}=1)
    set(H5LINALG_HAVE_${var} TRUE PARENT_SCOPE)
    set(_h5linalg_${var} "${${var}_LIBRARY}" PARENT_SCOPE)
  else()
    set(_h5linalg_${var}
        "not found (${without}; conda: ${conda_package}, Debian: ${debian_package})"
        PARENT_SCOPE)
  endif()
endfunction()

# libdeflate inflates gzip chunks about twice as fast as zlib, to the same bytes
# (both check the stream's Adler-32); zlib does the work where it is absent.
h5linalg_optional_codec(LIBDEFLATE H5LINALG_LIBDEFLATE
  "Inflate gzip chunks with libdeflate when it is found" libdeflate.h "" "deflate;libdeflate"
  libdeflate libdeflate-dev "zlib inflates")
h5linalg_optional_codec(ZSTD H5LINALG_ZSTD
  "Decode Zstandard chunks with libzstd when it is found" zstd.h "" "zstd;libzstd"
  zstd libzstd-dev "HDF5's filter decodes")
h5linalg_optional_codec(LZ4 H5LINALG_LZ4
  "Decode LZ4 chunks with liblz4 when it is found" lz4.h "" "lz4;liblz4"
  lz4-c liblz4-dev "HDF5's filter decodes")
h5linalg_optional_codec(BLOSC H5LINALG_BLOSC
  "Decode Blosc chunks with libblosc (1.x) when it is found" blosc.h "" "blosc;libblosc"
  blosc libblosc-dev "HDF5's filter decodes")
h5linalg_optional_codec(LZF H5LINALG_LZF
  "Decode LZF chunks with liblzf when it is found" lzf.h liblzf "lzf;liblzf"
  liblzf liblzf-dev "HDF5's filter decodes")
if(H5LINALG_HAVE_LZF)
  # lzf.h carries only the API version (1.5); the package's version is in its
  # pkg-config file or CMake package, next to the library.
  get_filename_component(_lzf_libdir "${LZF_LIBRARY}" DIRECTORY)
  set(_lzf_version "unknown")
  foreach(_file "${_lzf_libdir}/pkgconfig/liblzf.pc"
                "${_lzf_libdir}/cmake/liblzf/liblzf-config-version.cmake")
    if(_lzf_version STREQUAL "unknown" AND EXISTS "${_file}")
      file(STRINGS "${_file}" _line
           REGEX "^(Version: *[0-9.]+|set\\(PACKAGE_VERSION \"[0-9.]+\"\\))")
      if(_line MATCHES "([0-9]+(\\.[0-9]+)*)")
        set(_lzf_version "${CMAKE_MATCH_1}")
      endif()
    endif()
  endforeach()
  target_compile_definitions(h5linalg_codecs INTERFACE H5LINALG_LZF_VERSION="${_lzf_version}")
  set(_h5linalg_LZF "${_h5linalg_LZF} (liblzf ${_lzf_version})")
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
if(_blas_prefix)
  message(STATUS "          symbols prefixed ${_blas_prefix} (H5LINALG_BLAS_SYMBOL_PREFIX)")
endif()
message(STATUS "  CBLAS   ${_cblas}")
message(STATUS "  LAPACK  ${LAPACK_LIBRARIES}")
message(STATUS "  zlib    ${ZLIB_VERSION_STRING}: ${ZLIB_LIBRARIES}")
message(STATUS "  libdeflate ${_h5linalg_LIBDEFLATE}")
message(STATUS "  libzstd ${_h5linalg_ZSTD}")
message(STATUS "  liblz4  ${_h5linalg_LZ4}")
message(STATUS "  libblosc ${_h5linalg_BLOSC}")
message(STATUS "  liblzf  ${_h5linalg_LZF}")
