// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/kernels/row_shares.hpp"

#include <algorithm>

#include "core/base/thread_pool.hpp"

namespace h5linalg {

std::size_t share_count(std::size_t rows, std::size_t workers, std::size_t min_rows) {
    const std::size_t by_size = rows / std::max<std::size_t>(1, min_rows);
    return std::max<std::size_t>(1, std::min(workers, by_size));
}

void for_each_share(std::size_t rows, std::size_t shares,
                    const std::function<void(std::size_t, std::size_t, std::size_t)>& work) {
    const std::size_t size = (rows + shares - 1) / shares;
    TaskGroup helpers;
    for (std::size_t share = 1; share < shares; ++share) {
        const std::size_t first = std::min(rows, share * size);
        const std::size_t count = std::min(rows, first + size) - first;
        if (count > 0) {
            helpers.run([&work, share, first, count] { work(share, first, count); });
        }
    }
    work(0, 0, std::min(rows, size));
    helpers.wait();
}

}  // namespace h5linalg
