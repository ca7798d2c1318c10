// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/output.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>

#include "core/base/errors.hpp"
#include "core/hdf5/dataset.hpp"

namespace h5linalg {

namespace {

std::string in_quotes(const std::string& text) { return "'" + text + "'"; }

std::string parent_of(const std::string& name) {
    const std::size_t slash = name.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : name.substr(0, slash);
}

/// A name for a new file's temporary copy: hidden, in the same folder (so that
/// the rename onto the final name stays on one file system, and is atomic).
std::string temporary_file_for(const std::string& path, const std::string& suffix) {
    const std::filesystem::path final_path(path);
    const std::string name = "." + final_path.filename().string() + ".h5linalg-" + suffix + ".tmp";
    return (final_path.parent_path() / name).string();
}

std::string unique_suffix() {
    static std::atomic<unsigned> counter{0};
    std::random_device device;
    std::ostringstream text;
    text << std::hex << device() << "-" << counter++;
    return text.str();
}

/// What a link name refers to: nothing, a group, a dataset or something else.
enum class Existing { Nothing, Group, Dataset, Other };

herr_t note_external_link(const char*, const char*, const char*, const char*, unsigned*, hid_t,
                          void* seen) {
    *static_cast<bool*>(seen) = true;
    return -1;  // and do not follow it
}

/// Refuses an output name that is, or reaches through, an external link (also one
/// behind a soft link): writing there would modify another file.
void refuse_external_links(hid_t file, const OutputSpec& spec) {
    bool seen = false;
    Hid lapl = checked(H5Pcreate(H5P_LINK_ACCESS), "cannot create a link access property list");
    check_status(H5Pset_elink_cb(lapl.get(), note_external_link, &seen),
                 "cannot configure external links");
    std::string prefix;
    std::stringstream parts(spec.name);
    std::string part;
    while (std::getline(parts, part, '/')) {
        if (part.empty()) {
            continue;
        }
        prefix += "/" + part;
        H5L_info_t link{};
        const bool exists = H5Lexists(file, prefix.c_str(), lapl.get()) > 0 &&
                            H5Lget_info(file, prefix.c_str(), &link, lapl.get()) >= 0;
        hdf5_error_detail();
        if (seen || (exists && link.type == H5L_TYPE_EXTERNAL)) {
            fail(ErrorKind::Permission,
                 in_quotes(prefix) + " in the output file " + in_quotes(spec.path) +
                     " is or leads through an external link to another file; h5linalg does "
                     "not write through external links");
        }
        if (!exists) {
            return;
        }
    }
}

Existing object_at(hid_t file, const std::string& name) {
    const htri_t exists = H5Lexists(file, name.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
        hdf5_error_detail();
        return Existing::Nothing;
    }
    const hid_t object = H5Oopen(file, name.c_str(), H5P_DEFAULT);
    if (object < 0) {
        hdf5_error_detail();
        return Existing::Other;
    }
    Hid handle(object);
    switch (H5Iget_type(object)) {
        case H5I_GROUP: return Existing::Group;
        case H5I_DATASET: return Existing::Dataset;
        default: return Existing::Other;
    }
}

/// The parent groups of spec.name that do not exist yet, outermost first.
/// Value error if one of the parents exists but is not a group.
std::vector<std::string> missing_parents(hid_t file, const OutputSpec& spec) {
    std::vector<std::string> missing;
    std::string prefix;
    std::stringstream parts(parent_of(spec.name));
    std::string part;
    while (std::getline(parts, part, '/')) {
        if (part.empty()) {
            continue;
        }
        prefix += "/" + part;
        const Existing existing = missing.empty() ? object_at(file, prefix) : Existing::Nothing;
        if (existing == Existing::Nothing) {
            missing.push_back(prefix);
        } else if (existing != Existing::Group) {
            fail(ErrorKind::Value, in_quotes(prefix) + " in " + in_quotes(spec.path) +
                                       " exists and is not a group, so " + in_quotes(spec.name) +
                                       " cannot be created");
        }
    }
    return missing;
}

}  // namespace

bool check_output(const OutputSpec& spec) {
    const std::string where = in_quotes(spec.name) + " in " + in_quotes(spec.path);
    Hdf5Lock lock;
    std::error_code error;
    if (!std::filesystem::exists(spec.path, error)) {
        return false;
    }
    refuse_directory(spec.path);  // as an input folder is refused, not HDF5's own words
    // Decide on a read-only handle: refusing must not touch the file at all
    // (opening for writing can rewrite superblock flags).
    Hid probe = checked(H5Fopen(spec.path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                        "cannot open " + in_quotes(spec.path) +
                            " as an HDF5 file: it is not HDF5, or it is damaged");
    refuse_external_links(probe.get(), spec);  // before anything follows a link
    const Existing target = object_at(probe.get(), spec.name);
    if (target != Existing::Nothing && !spec.overwrite) {
        fail(ErrorKind::FileExists, where + " already exists; pass overwrite=True to replace it");
    }
    if (target == Existing::Group || target == Existing::Other) {
        fail(ErrorKind::Value, where + " is not a dataset; h5linalg only replaces datasets");
    }
    static_cast<void>(missing_parents(probe.get(), spec));  // fails before any write
    return true;
}

Hdf5OutputDataset::Hdf5OutputDataset(const OutputSpec& spec, std::size_t rows, std::size_t cols,
                                     std::size_t chunk_rows)
    : spec_(spec), rows_(rows), cols_(cols) {
    const std::string where = in_quotes(spec.name) + " in " + in_quotes(spec.path);
    Hdf5Lock lock;
    try {
        const bool new_file = !check_output(spec);
        if (new_file) {
            // Named only once created: a failed H5Fcreate (EXCL) leaves any file
            // that happens to have this name alone, and so does the roll-back.
            const std::string temporary = temporary_file_for(spec.path, unique_suffix());
            file_ = checked(H5Fcreate(temporary.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT),
                            "cannot create " + in_quotes(spec.path) + " (is its folder writable?)");
            temporary_file_ = temporary;
        } else {
            file_ = checked(H5Fopen(spec.path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT),
                            "cannot open " + in_quotes(spec.path) +
                                " for writing (is it writable, and not open elsewhere?)");
        }
        const hid_t file = file_.get();

        // Create missing parent groups one by one, remembering them for roll-back.
        for (const std::string& prefix : missing_parents(file, spec)) {
            Hid group =
                checked(H5Gcreate2(file, prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                        "cannot create group " + in_quotes(prefix) + " in " + in_quotes(spec.path));
            created_groups_.push_back(prefix);
        }

        const std::string parent = parent_of(spec.name);
        temporary_name_ = (parent == "/" ? "" : parent) + "/.h5linalg-partial-" + unique_suffix();
        const int rank = spec.vector ? 1 : 2;
        const hsize_t dims[2] = {rows, cols};
        Hid space = checked(H5Screate_simple(rank, dims, nullptr), "cannot create a dataspace");
        Hid dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), "cannot create a property list");
        // About 4 MiB per chunk; at most 4 GiB, HDF5's limit, whatever the width. An
        // empty result (A @ B with B of shape (k, 0)) is stored contiguous: HDF5 chunks
        // cannot have a zero dimension, nor be larger than a fixed-size dataset.
        if (rows > 0 && cols > 0) {
            const std::size_t chunk_cols = std::min<std::size_t>(cols, std::size_t{1} << 19);
            const std::size_t rows_per_chunk = std::max<std::size_t>(
                1, std::min({chunk_rows, rows, (std::size_t{1} << 19) / chunk_cols}));
            const hsize_t chunk[2] = {rows_per_chunk, chunk_cols};
            check_status(H5Pset_chunk(dcpl.get(), rank, chunk), "cannot set the chunk shape");
        }
        // Every element gets written: skip writing fill values first.
        check_status(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "cannot set the fill time");
        dataset_ = checked(H5Dcreate2(file, temporary_name_.c_str(), H5T_IEEE_F64LE, space.get(),
                                      H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                           "cannot create " + where);
    } catch (...) {
        roll_back();  // drop the groups and partial dataset created so far
        throw;
    }
}

Hdf5OutputDataset::~Hdf5OutputDataset() {
    if (!committed_) {
        roll_back();
    }
}

void Hdf5OutputDataset::write(std::size_t first, std::size_t count, const double* rows) {
    Hdf5Lock lock;
    Hid file_space = checked(H5Dget_space(dataset_.get()), "cannot read the output dataspace");
    const hsize_t start[2] = {first, 0};
    const hsize_t extent[2] = {count, cols_};
    check_status(
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr),
        "cannot select output rows");
    // For a 1-D dataset (cols == 1) only the first entries of start and extent count.
    Hid memory_space = checked(H5Screate_simple(spec_.vector ? 1 : 2, extent, nullptr),
                               "cannot create a dataspace");
    check_status(H5Dwrite(dataset_.get(), H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(),
                          H5P_DEFAULT, rows),
                 "cannot write rows " + std::to_string(first) + " to " +
                     std::to_string(first + count) + " of " + in_quotes(spec_.name) + " in " +
                     in_quotes(spec_.path) + " (disk full?)");
}

void Hdf5OutputDataset::commit() {
    Hdf5Lock lock;
    dataset_.reset();
    const hid_t file = file_.get();
    if (spec_.overwrite && object_at(file, spec_.name) == Existing::Dataset) {
        check_status(H5Ldelete(file, spec_.name.c_str(), H5P_DEFAULT),
                     "cannot replace " + in_quotes(spec_.name) + " in " + in_quotes(spec_.path));
    }
    check_status(
        H5Lmove(file, temporary_name_.c_str(), file, spec_.name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
        "cannot move the result to " + in_quotes(spec_.name) + " in " + in_quotes(spec_.path));
    // In an existing file the result is now in place, and a roll-back would remove
    // the groups that hold it; a new file is not in place until it is renamed.
    committed_ = temporary_file_.empty();
    check_status(H5Fflush(file, H5F_SCOPE_LOCAL), "cannot flush " + in_quotes(spec_.path));
    file_.reset();  // closed, so complete on disk, before anyone can see it by name
    if (!temporary_file_.empty()) {
        std::error_code error;
        std::filesystem::rename(temporary_file_, spec_.path, error);
        if (error) {
            fail(ErrorKind::IO, "cannot move the finished result into place as " +
                                    in_quotes(spec_.path) + ": " + error.message());
        }
        temporary_file_.clear();
        committed_ = true;
    }
}

void Hdf5OutputDataset::roll_back() noexcept {
    Hdf5Lock lock;
    dataset_.reset();
    if (file_.valid() && temporary_file_.empty()) {
        // An existing file: take out what this run added, and only that.
        const hid_t file = file_.get();
        if (!temporary_name_.empty()) {
            H5Ldelete(file, temporary_name_.c_str(), H5P_DEFAULT);
        }
        for (auto group = created_groups_.rbegin(); group != created_groups_.rend(); ++group) {
            H5Ldelete(file, group->c_str(), H5P_DEFAULT);
        }
        H5Fflush(file, H5F_SCOPE_LOCAL);
    }
    file_.reset();
    hdf5_error_detail();  // discard whatever failed on the way out
    if (!temporary_file_.empty()) {
        // A new file: all of it is this run's.
        std::error_code ignored;
        std::filesystem::remove(temporary_file_, ignored);
    }
}

void write_matrix(const OutputSpec& spec, const double* values, std::size_t rows,
                  std::size_t cols) {
    Hdf5OutputDataset output(spec, rows, cols, rows);
    output.write(0, rows, values);
    output.commit();
}

Hdf5Sink::Hdf5Sink(Hdf5OutputDataset& output, std::size_t block_rows, std::size_t cols)
    : output_(output) {
    for (std::size_t i = 0; i < 2; ++i) {
        slots_[i].data.reset(new double[block_rows * cols]);
        free_.push_back(i);
    }
    thread_ = std::thread([this] { run(); });
}

Hdf5Sink::~Hdf5Sink() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

double* Hdf5Sink::acquire(std::size_t first, std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !free_.empty() || error_; });
    if (error_) {
        std::rethrow_exception(error_);
    }
    current_ = free_.back();
    free_.pop_back();
    slots_[current_].first = first;
    slots_[current_].count = count;
    return slots_[current_].data.get();
}

void Hdf5Sink::release() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.insert(pending_.begin(), current_);
    }
    changed_.notify_all();
}

void Hdf5Sink::finish() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return (pending_.empty() && !writing_) || error_; });
    if (error_) {
        std::rethrow_exception(error_);
    }
}

void Hdf5Sink::run() {
    for (;;) {
        std::size_t slot;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
            if (stopping_ || error_) {
                return;
            }
            slot = pending_.back();  // oldest first
            pending_.pop_back();
            writing_ = true;
        }
        try {
            output_.write(slots_[slot].first, slots_[slot].count, slots_[slot].data.get());
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            error_ = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            writing_ = false;
            free_.push_back(slot);
        }
        changed_.notify_all();
    }
}

}  // namespace h5linalg
