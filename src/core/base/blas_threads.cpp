// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/base/blas_threads.hpp"

#include <functional>
#include <mutex>

#include "core/base/blas_lapack.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define H5LINALG_HAVE_DLFCN 1
#endif

namespace h5linalg {

namespace {

struct BlasThreading {
    const char* name = "";
    std::function<int()> get;      // current thread count
    std::function<void(int)> set;  // set the thread count
};

#ifdef H5LINALG_HAVE_DLFCN
void* library_providing_blas() {
    // The extension is loaded privately (RTLD_LOCAL), so its BLAS is not in the
    // global symbol scope: find the file behind cblas_dgemm and ask it (dlsym on
    // a handle also searches that library's dependencies).
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&H5LINALG_BLAS(cblas_dgemm)), &info) == 0 ||
        info.dli_fname == nullptr) {
        return nullptr;
    }
    return dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
}

template <typename F>
F lookup(void* library, const char* name) {
    return reinterpret_cast<F>(dlsym(library, name));
}
#endif

BlasThreading detect() {
    BlasThreading found;
#ifdef H5LINALG_HAVE_DLFCN
    void* library = library_providing_blas();
    if (library == nullptr) {
        return found;
    }
    using GetInt = int (*)();
    using SetInt = void (*)(int);
    using GetLong = long (*)();
    using SetLong = void (*)(long);
    if (auto set =
            lookup<SetInt>(library, H5LINALG_BLAS_PREFIX_STRING "openblas_set_num_threads")) {
        found = {"openblas",
                 lookup<GetInt>(library, H5LINALG_BLAS_PREFIX_STRING "openblas_get_num_threads"),
                 set};
    } else if (auto set_mkl = lookup<SetInt>(library, "MKL_Set_Num_Threads")) {
        found = {"mkl", lookup<GetInt>(library, "MKL_Get_Max_Threads"), set_mkl};
    } else if (auto set_blis = lookup<SetLong>(library, "bli_thread_set_num_threads")) {
        auto get_blis = lookup<GetLong>(library, "bli_thread_get_num_threads");
        found = {"blis", [get_blis] { return get_blis ? static_cast<int>(get_blis()) : 0; },
                 [set_blis](int n) { set_blis(n); }};
    }
    dlclose(library);  // RTLD_NOLOAD took a reference; the library stays loaded
#endif
    return found;
}

const BlasThreading& blas_threading() {
    static const BlasThreading threading = detect();
    return threading;
}

std::mutex mutex;
int holders = 0;
int saved_threads = 0;

}  // namespace

const char* controllable_blas_name() { return blas_threading().name; }

SingleThreadedBlas::SingleThreadedBlas() {
    const BlasThreading& blas = blas_threading();
    if (!blas.set) {
        return;
    }
    std::lock_guard<std::mutex> lock(mutex);
    if (holders++ == 0) {
        saved_threads = blas.get ? blas.get() : 0;
        blas.set(1);
    }
}

SingleThreadedBlas::~SingleThreadedBlas() {
    const BlasThreading& blas = blas_threading();
    if (!blas.set) {
        return;
    }
    std::lock_guard<std::mutex> lock(mutex);
    if (--holders == 0 && saved_threads > 0) {
        blas.set(saved_threads);
    }
}

}  // namespace h5linalg
