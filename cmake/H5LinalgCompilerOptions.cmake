# Warnings, warnings-as-errors and sanitizers, applied through one interface
# target that every h5linalg target links.
add_library(h5linalg_options INTERFACE)
if(MSVC)
  target_compile_options(h5linalg_options INTERFACE /W4 /permissive-)
  if(H5LINALG_WERROR)
    target_compile_options(h5linalg_options INTERFACE /WX)
  endif()
else()
  target_compile_options(h5linalg_options INTERFACE -Wall -Wextra -Wpedantic)
  if(H5LINALG_WERROR)
    target_compile_options(h5linalg_options INTERFACE -Werror)
  endif()
endif()

# Reproducible binaries: no source or build directory inside them (debug info,
# __FILE__), so wheels built from the sdist and from a checkout are identical,
# stripped or not.
include(CheckCXXCompilerFlag)
check_cxx_compiler_flag("-ffile-prefix-map=/a=b" H5LINALG_HAVE_FILE_PREFIX_MAP)
if(H5LINALG_HAVE_FILE_PREFIX_MAP)
  target_compile_options(h5linalg_options INTERFACE
    "-ffile-prefix-map=${PROJECT_SOURCE_DIR}=." "-ffile-prefix-map=${PROJECT_BINARY_DIR}=build")
endif()

if(H5LINALG_SANITIZE)
  list(JOIN H5LINALG_SANITIZE "," _sanitizers)
  # Keep frame pointers for readable reports; stop at the first UB finding.
  target_compile_options(h5linalg_options INTERFACE
    -fsanitize=${_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(h5linalg_options INTERFACE -fsanitize=${_sanitizers})
  message(STATUS "h5linalg: building with sanitizers: ${_sanitizers}")
endif()
