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

if(H5LINALG_SANITIZE)
  list(JOIN H5LINALG_SANITIZE "," _sanitizers)
  # Keep frame pointers for readable reports; stop at the first UB finding.
  target_compile_options(h5linalg_options INTERFACE
    -fsanitize=${_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(h5linalg_options INTERFACE -fsanitize=${_sanitizers})
  message(STATUS "h5linalg: building with sanitizers: ${_sanitizers}")
endif()
