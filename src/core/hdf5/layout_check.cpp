// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Field layouts from the HDF5 File Format Specification (version 3.0): object
// header prefixes (IV.A.1.a version 1, IV.A.1.b version 2), the header message
// framing of each, the continuation message (IV.A.2.q) and the data layout
// message (IV.A.2.i, versions 1 to 4).
#include "core/hdf5/layout_check.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include "core/base/errors.hpp"

namespace h5linalg {

namespace {

constexpr unsigned layout_message = 0x0008;
constexpr unsigned continuation_message = 0x0010;
constexpr std::size_t max_blocks = 256;             // a header has a handful
constexpr std::uint64_t max_block_bytes = 1 << 24;  // and each is small

/// Bytes of the file, read on demand; nothing beyond what was asked for.
class FileBytes {
public:
    explicit FileBytes(const std::string& path) : in_(path, std::ios::binary) {}

    std::optional<std::vector<unsigned char>> read(std::uint64_t offset, std::uint64_t size) {
        if (!in_ || size > max_block_bytes) {
            return std::nullopt;
        }
        std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
        in_.clear();
        in_.seekg(static_cast<std::streamoff>(offset));
        in_.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
        if (static_cast<std::uint64_t>(in_.gcount()) != size) {
            return std::nullopt;
        }
        return bytes;
    }

private:
    std::ifstream in_;
};

/// A little-endian reader over one block that never reads past its end.
class Cursor {
public:
    Cursor(const unsigned char* data, std::size_t size) : data_(data), size_(size) {}

    bool has(std::size_t n) const { return n <= size_ - at_; }
    std::uint64_t number(std::size_t bytes) {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
            value |= static_cast<std::uint64_t>(data_[at_ + i]) << (8 * i);
        }
        at_ += bytes;
        return value;
    }
    void skip(std::size_t n) { at_ += n; }
    std::size_t at() const { return at_; }

private:
    const unsigned char* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

struct Sizes {
    std::size_t offsets = 8;  // bytes of a file address
    std::size_t lengths = 8;  // bytes of a length
};

/// `rank` dimensions of `width` bytes each, which the caller checked are there.
std::vector<std::uint64_t> read_dims(Cursor& c, std::size_t rank, std::size_t width) {
    std::vector<std::uint64_t> dims;
    for (std::size_t i = 0; i < rank; ++i) {
        dims.push_back(c.number(width));
    }
    return dims;
}

/// The chunk dimensions of a version 1 or 2 layout message (the version byte
/// read), or nothing when it is not chunked or is cut short.
std::optional<std::vector<std::uint64_t>> chunk_dims_v1(Cursor& c, const Sizes& sizes) {
    if (!c.has(7)) {
        return std::nullopt;
    }
    const auto rank = static_cast<std::size_t>(c.number(1));
    const auto layout_class = static_cast<unsigned>(c.number(1));
    c.skip(5);
    if (layout_class != 2 || !c.has(sizes.offsets + 4 * rank)) {
        return std::nullopt;
    }
    c.skip(sizes.offsets);
    return read_dims(c, rank, 4);
}

/// The same for a version 3 layout message.
std::optional<std::vector<std::uint64_t>> chunk_dims_v3(Cursor& c, const Sizes& sizes) {
    const auto layout_class = static_cast<unsigned>(c.number(1));
    if (layout_class != 2 || !c.has(1)) {
        return std::nullopt;
    }
    const auto rank = static_cast<std::size_t>(c.number(1));
    if (!c.has(sizes.offsets + 4 * rank)) {
        return std::nullopt;
    }
    c.skip(sizes.offsets);
    return read_dims(c, rank, 4);
}

/// The same for a version 4 layout message, whose dimensions have a stored width.
std::optional<std::vector<std::uint64_t>> chunk_dims_v4(Cursor& c) {
    const auto layout_class = static_cast<unsigned>(c.number(1));
    if (layout_class != 2 || !c.has(3)) {
        return std::nullopt;
    }
    c.skip(1);  // flags
    const auto rank = static_cast<std::size_t>(c.number(1));
    const auto width = static_cast<std::size_t>(c.number(1));
    if (width < 1 || width > 8 || !c.has(width * rank)) {
        return std::nullopt;
    }
    return read_dims(c, rank, width);
}

/// The chunk dimensions of a data layout message, or nothing when it does not
/// describe a chunked layout (or is cut short, or of an unknown version).
std::optional<std::vector<std::uint64_t>> chunk_dims(const unsigned char* data, std::size_t size,
                                                     const Sizes& sizes) {
    Cursor c(data, size);
    if (!c.has(2)) {
        return std::nullopt;
    }
    const auto version = static_cast<unsigned>(c.number(1));
    switch (version) {
        case 1:
        case 2: return chunk_dims_v1(c, sizes);
        case 3: return chunk_dims_v3(c, sizes);
        case 4: return chunk_dims_v4(c);
        default: return std::nullopt;
    }
}

/// Whether a data layout message describes chunks HDF5 1.10 cannot open: a zero
/// dimension, or fewer than two (a chunked layout lists the dataset's rank
/// plus one, the element size; 0 makes HDF5 divide by zero too).
bool bad_chunk_shape(const unsigned char* data, std::size_t size, const Sizes& sizes) {
    const std::optional<std::vector<std::uint64_t>> dims = chunk_dims(data, size, sizes);
    if (!dims) {
        return false;
    }
    for (const std::uint64_t dim : *dims) {
        if (dim == 0) {
            return true;
        }
    }
    return dims->size() < 2;
}

struct Block {
    std::uint64_t offset;  // in the file, base address included
    std::uint64_t size;
};

/// Walks the messages of one header block: the layout message is checked, and
/// continuation messages add blocks. Returns true for a zero chunk dimension.
bool scan_messages(const std::vector<unsigned char>& bytes, std::size_t first, std::size_t end,
                   int header_version, bool creation_order, const Sizes& sizes, std::uint64_t base,
                   std::vector<Block>& blocks) {
    if (first > end || end > bytes.size()) {
        return false;
    }
    Cursor c(bytes.data(), end);
    c.skip(first);
    while (true) {
        const std::size_t framing = header_version == 1 ? 8 : 4 + (creation_order ? 2 : 0);
        if (!c.has(framing)) {
            return false;
        }
        unsigned type = 0;
        std::size_t size = 0;
        if (header_version == 1) {
            type = static_cast<unsigned>(c.number(2));
            size = static_cast<std::size_t>(c.number(2));
            c.skip(4);  // flags, reserved
        } else {
            type = static_cast<unsigned>(c.number(1));
            size = static_cast<std::size_t>(c.number(2));
            c.skip(framing - 3);  // flags, creation order
        }
        if (!c.has(size)) {
            return false;
        }
        const unsigned char* data = bytes.data() + c.at();
        if (type == layout_message && bad_chunk_shape(data, size, sizes)) {
            return true;
        }
        if (type == continuation_message) {
            Cursor m(data, size);
            if (m.has(sizes.offsets + sizes.lengths)) {
                const std::uint64_t offset = m.number(sizes.offsets);
                const std::uint64_t length = m.number(sizes.lengths);
                blocks.push_back({base + offset, length});
            }
        }
        c.skip(size);
    }
}

/// How an object header frames its messages, and the blocks its continuation
/// messages add.
struct Header {
    int version = 0;
    bool creation_order = false;
    std::vector<Block> blocks;
};

/// Scans the first block of a version 1 object header. Returns true for a zero
/// chunk dimension.
bool scan_first_block_v1(FileBytes& file, std::uint64_t offset,
                         const std::vector<unsigned char>& prefix, std::uint64_t base,
                         const Sizes& sizes, Header& header) {
    header.version = 1;
    Cursor c(prefix.data(), prefix.size());
    c.skip(8);
    const std::uint64_t size = c.number(4);
    const auto block = file.read(offset, 16 + size);  // messages start 8-aligned, at 16
    if (!block) {
        return false;
    }
    return scan_messages(*block, 16, block->size(), 1, false, sizes, base, header.blocks);
}

/// The same for a version 2 object header ("OHDR").
bool scan_first_block_v2(FileBytes& file, std::uint64_t offset,
                         const std::vector<unsigned char>& prefix, std::uint64_t base,
                         const Sizes& sizes, Header& header) {
    header.version = 2;
    const unsigned flags = prefix[5];
    header.creation_order = (flags & 0x04) != 0;
    std::size_t at = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
    const std::size_t width = std::size_t{1} << (flags & 0x03);
    const auto head = file.read(offset, at + width);
    if (!head) {
        return false;
    }
    Cursor c(head->data() + at, width);
    const std::uint64_t size = c.number(width);
    at += width;
    const auto block = file.read(offset, at + size);  // the checksum follows
    if (!block) {
        return false;
    }
    return scan_messages(*block, at, block->size(), 2, header.creation_order, sizes, base,
                         header.blocks);
}

/// Scans the continuation blocks (and those they add in turn). Returns true for a
/// zero chunk dimension.
bool scan_continuations(FileBytes& file, std::uint64_t base, const Sizes& sizes, Header& header) {
    std::vector<Block>& blocks = header.blocks;
    for (std::size_t i = 0; i < blocks.size() && i < max_blocks; ++i) {
        const auto block = file.read(blocks[i].offset, blocks[i].size);
        if (!block) {
            return false;
        }
        // Version 2 continuation blocks are framed by "OCHK" and a checksum.
        const bool framed = header.version == 2;
        if (framed && (block->size() < 8 || std::memcmp(block->data(), "OCHK", 4) != 0)) {
            return false;
        }
        const std::size_t first = framed ? 4 : 0;
        const std::size_t end = framed ? block->size() - 4 : block->size();
        if (scan_messages(*block, first, end, header.version, header.creation_order, sizes, base,
                          blocks)) {
            return true;
        }
    }
    return false;
}

/// The object header at `offset`: true if its layout has a zero chunk dimension.
bool header_has_zero_chunk(FileBytes& file, std::uint64_t offset, std::uint64_t base,
                           const Sizes& sizes) {
    const auto start = file.read(offset, 16);
    if (!start) {
        return false;
    }
    const std::vector<unsigned char>& prefix = *start;
    Header header;
    bool zero_chunk = false;
    if (prefix[0] == 1) {
        zero_chunk = scan_first_block_v1(file, offset, prefix, base, sizes, header);
    } else if (std::memcmp(prefix.data(), "OHDR", 4) == 0 && prefix[4] == 2) {
        zero_chunk = scan_first_block_v2(file, offset, prefix, base, sizes, header);
    } else {
        return false;
    }
    return zero_chunk || scan_continuations(file, base, sizes, header);
}

/// The address of the object's header, relative to the file's base address.
std::optional<std::uint64_t> header_address(hid_t file, const std::string& name, hid_t lapl) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(file, name.c_str(), &info, H5O_INFO_BASIC, lapl) < 0 ||
        info.type != H5O_TYPE_DATASET) {
        return std::nullopt;
    }
    // The native file format's object token is the header's address.
    haddr_t address = 0;
    std::memcpy(&address, &info.token, sizeof(address));
    return static_cast<std::uint64_t>(address);
#else
    H5O_info_t info;
    if (H5Oget_info_by_name2(file, name.c_str(), &info, H5O_INFO_BASIC, lapl) < 0 ||
        info.type != H5O_TYPE_DATASET) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(info.addr);
#endif
}

}  // namespace

void check_chunk_layout(hid_t file, const std::string& path, const std::string& name, hid_t lapl) {
    const std::optional<std::uint64_t> address = header_address(file, name, lapl);
    H5Eclear2(H5E_DEFAULT);
    if (!address) {
        return;  // not a dataset, or not found: H5Oopen says which
    }
    Sizes sizes;
    hsize_t userblock = 0;
    const hid_t fcpl = H5Fget_create_plist(file);
    if (fcpl < 0) {
        return;
    }
    H5Pget_sizes(fcpl, &sizes.offsets, &sizes.lengths);
    H5Pget_userblock(fcpl, &userblock);
    H5Pclose(fcpl);
    if (sizes.offsets < 1 || sizes.offsets > 8 || sizes.lengths < 1 || sizes.lengths > 8) {
        return;
    }
    FileBytes bytes(path);
    if (header_has_zero_chunk(bytes, userblock + *address, userblock, sizes)) {
        fail(ErrorKind::IO,
             "cannot open \"" + name + "\" in \"" + path +
                 "\": the file is damaged (its chunk shape has no dimensions, or one of 0)");
    }
}

namespace {
#if H5_VERSION_GE(1, 14, 4)
int find_empty_chunk(const hsize_t* offset, unsigned, haddr_t, hsize_t size, void* found) {
    if (size == 0) {
        *static_cast<std::optional<hsize_t>*>(found) = offset[0];
        return 1;  // stop: one is enough
    }
    return 0;
}
#endif
}  // namespace

void check_chunk_index(hid_t dataset, const std::string& label) {
#if H5_VERSION_GE(1, 14, 4)
    H5D_chunk_index_t index{};
    if (H5Dget_chunk_index_type(dataset, &index) < 0 || index != H5D_CHUNK_IDX_BTREE) {
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    std::optional<hsize_t> empty_row;
    if (H5Dchunk_iter(dataset, H5P_DEFAULT, find_empty_chunk, &empty_row) < 0) {
        hdf5_error_detail();
        return;  // an index HDF5 cannot walk: its read reports that
    }
    if (empty_row) {
        fail(ErrorKind::IO, label + " is damaged: its chunk index gives the chunk at row " +
                                std::to_string(*empty_row) + " a size of 0 bytes");
    }
#else
    static_cast<void>(dataset);
    static_cast<void>(label);
#endif
}

}  // namespace h5linalg
