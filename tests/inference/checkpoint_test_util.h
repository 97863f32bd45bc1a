// Helpers for the checkpoint tests: temporary files, writers for the pickles and stored zips that
// torch.save produces, so tests can build well-formed and hostile checkpoints byte by byte, and the
// error a load throws.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference/checkpoint/state_dict.h"

namespace shape::checkpoint_test {

// The message of the CheckpointError `run` throws ("" and a test failure if it throws nothing).
template <typename Run>
std::string checkpoint_error_of(Run&& run) {
  try {
    run();
  } catch (const CheckpointError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected a CheckpointError";
  return "";
}

inline std::filesystem::path golden_loader_file(const std::string& name) {
  return std::filesystem::path(SHAPE_GOLDEN_DIR) / "loader" / name;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw std::runtime_error("cannot open " + path.string());
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!stream) throw std::runtime_error("cannot write " + path.string());
}

// A fresh directory under the system temp folder, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("shape_checkpoint_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& bytes) const {
    const auto file = path_ / name;
    write_file(file, bytes);
    return file;
  }

 private:
  std::filesystem::path path_;
};

inline void append_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

inline uint32_t crc32_of(const std::string& bytes) {
  return static_cast<uint32_t>(
      ::crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

template <typename T>
std::string raw_bytes(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// --- stored zip writer ---

struct ZipRecord {
  std::string name;
  std::string data;
  uint16_t method = 0;  // claimed compression method; the data is written as given
};

// Writes local headers, the central directory and the end records the way torch does (no data
// descriptors). With `zip64`, the central directory saturates sizes and offsets to 0xFFFFFFFF and
// puts them in zip64 extra fields, and zip64 end records precede the classic one.
inline std::string make_zip(const std::vector<ZipRecord>& records, bool zip64 = false) {
  std::string out;
  std::vector<uint64_t> offsets;
  for (const ZipRecord& record : records) {
    offsets.push_back(out.size());
    append_le(out, 0x04034b50, 4);
    append_le(out, 20, 2);  // version needed
    append_le(out, 0, 2);   // flags
    append_le(out, record.method, 2);
    append_le(out, 0, 4);  // time, date
    append_le(out, crc32_of(record.data), 4);
    append_le(out, record.data.size(), 4);
    append_le(out, record.data.size(), 4);
    append_le(out, record.name.size(), 2);
    append_le(out, 0, 2);  // extra
    out += record.name;
    out += record.data;
  }
  const uint64_t directory_offset = out.size();
  for (size_t i = 0; i < records.size(); ++i) {
    const ZipRecord& record = records[i];
    const uint64_t saturated = 0xFFFFFFFFu;
    append_le(out, 0x02014b50, 4);
    append_le(out, zip64 ? 45 : 20, 2);
    append_le(out, zip64 ? 45 : 20, 2);
    append_le(out, 0, 2);
    append_le(out, record.method, 2);
    append_le(out, 0, 4);
    append_le(out, crc32_of(record.data), 4);
    append_le(out, zip64 ? saturated : record.data.size(), 4);
    append_le(out, zip64 ? saturated : record.data.size(), 4);
    append_le(out, record.name.size(), 2);
    append_le(out, zip64 ? 28 : 0, 2);  // extra
    append_le(out, 0, 2);               // comment
    append_le(out, 0, 2);               // disk
    append_le(out, 0, 2);               // internal attributes
    append_le(out, 0, 4);               // external attributes
    append_le(out, zip64 ? saturated : offsets[i], 4);
    out += record.name;
    if (zip64) {
      append_le(out, 0x0001, 2);
      append_le(out, 24, 2);
      append_le(out, record.data.size(), 8);
      append_le(out, record.data.size(), 8);
      append_le(out, offsets[i], 8);
    }
  }
  const uint64_t directory_size = out.size() - directory_offset;
  if (zip64) {
    const uint64_t zip64_offset = out.size();
    append_le(out, 0x06064b50, 4);
    append_le(out, 44, 8);  // size of the rest of the record
    append_le(out, 45, 2);
    append_le(out, 45, 2);
    append_le(out, 0, 4);
    append_le(out, 0, 4);
    append_le(out, records.size(), 8);
    append_le(out, records.size(), 8);
    append_le(out, directory_size, 8);
    append_le(out, directory_offset, 8);
    append_le(out, 0x07064b50, 4);
    append_le(out, 0, 4);
    append_le(out, zip64_offset, 8);
    append_le(out, 1, 4);
  }
  append_le(out, 0x06054b50, 4);
  append_le(out, 0, 2);
  append_le(out, 0, 2);
  append_le(out, zip64 ? 0xFFFF : records.size(), 2);
  append_le(out, zip64 ? 0xFFFF : records.size(), 2);
  append_le(out, zip64 ? 0xFFFFFFFFu : directory_size, 4);
  append_le(out, zip64 ? 0xFFFFFFFFu : directory_offset, 4);
  append_le(out, 0, 2);  // comment
  return out;
}

// --- pickle writer ---

class PickleWriter {
 public:
  PickleWriter& op(uint8_t opcode) {
    bytes_ += static_cast<char>(opcode);
    return *this;
  }
  PickleWriter& raw(const std::string& bytes) {
    bytes_ += bytes;
    return *this;
  }
  PickleWriter& proto(int version = 2) { return op(0x80).op(static_cast<uint8_t>(version)); }
  PickleWriter& global(const std::string& module, const std::string& name) {
    return op('c').raw(module + "\n" + name + "\n");
  }
  PickleWriter& unicode(const std::string& text) {
    op('X');
    append_le(bytes_, text.size(), 4);
    return raw(text);
  }
  PickleWriter& integer(int64_t value) {
    if (value >= 0 && value < 256) return op('K').op(static_cast<uint8_t>(value));
    if (value >= 0 && value < 65536) {
      op('M');
      append_le(bytes_, static_cast<uint64_t>(value), 2);
      return *this;
    }
    if (value >= INT32_MIN && value <= INT32_MAX) {
      op('J');
      append_le(bytes_, static_cast<uint32_t>(value), 4);
      return *this;
    }
    op(0x8a).op(8);  // LONG1
    append_le(bytes_, static_cast<uint64_t>(value), 8);
    return *this;
  }
  PickleWriter& mark() { return op('('); }
  PickleWriter& tuple() { return op('t'); }
  PickleWriter& empty_tuple() { return op(')'); }
  PickleWriter& empty_dict() { return op('}'); }
  PickleWriter& setitem() { return op('s'); }
  PickleWriter& setitems() { return op('u'); }
  PickleWriter& reduce() { return op('R'); }
  PickleWriter& build() { return op('b'); }
  PickleWriter& binpersid() { return op('Q'); }
  PickleWriter& newfalse() { return op(0x89); }
  PickleWriter& stop() { return op('.'); }
  PickleWriter& int_tuple(const std::vector<int64_t>& values) {
    mark();
    for (const int64_t value : values) integer(value);
    return tuple();
  }
  PickleWriter& ordered_dict() { return global("collections", "OrderedDict").empty_tuple().reduce(); }

  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

struct TensorSpec {
  std::string name;
  std::string key;  // storage key
  int64_t storage_numel = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
  int64_t offset = 0;
  std::string storage_type = "FloatStorage";
  std::string location = "cpu";  // where the tensor lived when saved
};

// _rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict()) as torch writes it.
inline void write_tensor(PickleWriter& pickle, const TensorSpec& spec) {
  pickle.global("torch._utils", "_rebuild_tensor_v2").mark();
  pickle.mark().unicode("storage").global("torch", spec.storage_type).unicode(spec.key).unicode(spec.location);
  pickle.integer(spec.storage_numel).tuple().binpersid();
  pickle.integer(spec.offset).int_tuple(spec.sizes).int_tuple(spec.strides).newfalse().ordered_dict();
  pickle.tuple().reduce();
}

// The pickle of torch.save(state_dict): OrderedDict + SETITEMS + BUILD({'_metadata': ...}), or a plain dict.
inline std::string state_dict_pickle(const std::vector<TensorSpec>& tensors, bool ordered_dict = true) {
  PickleWriter pickle;
  pickle.proto(2);
  if (ordered_dict) {
    pickle.ordered_dict();
  } else {
    pickle.empty_dict();
  }
  pickle.mark();
  for (const TensorSpec& tensor : tensors) {
    pickle.unicode(tensor.name);
    write_tensor(pickle, tensor);
  }
  pickle.setitems();
  if (ordered_dict) {
    pickle.empty_dict().unicode("_metadata").ordered_dict();
    pickle.unicode("").empty_dict().unicode("version").integer(1).setitem().setitem();
    pickle.setitem().build();
  }
  pickle.stop();
  return pickle.bytes();
}

// A torch.save zip: <prefix>data.pkl, <prefix>data/<key> for every storage, <prefix>version.
inline std::string torch_zip(const std::string& pickle, const std::map<std::string, std::string>& storages,
                             const std::string& prefix = "archive/", bool zip64 = false) {
  std::vector<ZipRecord> records{{prefix + "data.pkl", pickle}};
  for (const auto& [key, bytes] : storages) records.push_back({prefix + "data/" + key, bytes});
  records.push_back({prefix + "version", "3\n"});
  return make_zip(records, zip64);
}

// The JSON header plus data of a .safetensors file.
inline std::string safetensors_file(const std::string& header_json, const std::string& data) {
  std::string out;
  append_le(out, header_json.size(), 8);
  return out + header_json + data;
}

}  // namespace shape::checkpoint_test
