#include "inference/checkpoint/torch_zip_checkpoint.h"

#include <string>
#include <string_view>
#include <utility>
#include <unordered_map>
#include <vector>

#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/pickle_reader.h"
#include "inference/checkpoint/zip_archive.h"

namespace shape::checkpoint_detail {
namespace {

// torch writes a few kB of pickle per hundred tensors; this only refuses absurd records.
constexpr uint64_t kMaxPickleSize = uint64_t{64} << 20;

// The archive's records live under one folder named after the saved file ("archive/",
// "decoder.state_dict/", ...): the folder holding data.pkl.
std::string find_record_prefix(const ZipArchive& archive) {
  constexpr std::string_view kPickleName = "data.pkl";
  std::string prefix;
  int found = 0;
  for (const ZipEntry& entry : archive.entries()) {
    const std::string& name = entry.name;
    if (name.size() <= kPickleName.size() ||
        name.compare(name.size() - kPickleName.size(), kPickleName.size(), kPickleName) != 0) {
      continue;
    }
    const std::string folder = name.substr(0, name.size() - kPickleName.size());
    if (folder.back() != '/' || folder.find('/') != folder.size() - 1) continue;
    prefix = folder;
    ++found;
  }
  if (found == 0) throw FormatError("zip archive has no <folder>/data.pkl record: not a torch.save checkpoint");
  if (found > 1) throw FormatError("zip archive has several <folder>/data.pkl records");
  return prefix;
}

// Newer torch records the byte order of the storages; older files are little-endian.
void check_byte_order(const ZipArchive& archive, const std::string& prefix) {
  const ZipEntry* entry = archive.find(prefix + "byteorder");
  if (entry == nullptr) return;
  const std::vector<uint8_t> bytes = archive.read(*entry, 64);
  const std::string order(bytes.begin(), bytes.end());
  if (order == "little") return;
  if (order == "big") throw FormatError("big-endian checkpoints are not supported");
  throw FormatError("unknown byteorder record");
}

enum class PickleContent { kStateDict, kScriptModule };

// One record per storage (in order of first use), each checked against its zip entry; the tensors
// as views of them.
std::shared_ptr<const StoredTensors> index_zip(std::shared_ptr<const ByteSource> source, PickleContent content) {
  const ZipArchive archive(*source);
  const std::string prefix = find_record_prefix(archive);
  check_byte_order(archive, prefix);
  const std::vector<uint8_t> pickle = archive.read(*archive.find(prefix + "data.pkl"), kMaxPickleSize);
  const std::vector<PickledTensor> pickled = content == PickleContent::kStateDict
                                                 ? parse_state_dict_pickle(pickle.data(), pickle.size())
                                                 : parse_script_module_pickle(pickle.data(), pickle.size());
  std::vector<StoredRecord> records;
  std::vector<PickledStorage> storages;  // per record, to check that every tensor describes it alike
  std::unordered_map<std::string, size_t> record_by_key;
  std::vector<StoredTensor> tensors;
  uint64_t total_bytes = 0;
  for (const PickledTensor& tensor : pickled) {
    const PickledStorage& storage = tensor.storage;
    const auto [it, inserted] = record_by_key.emplace(storage.key, records.size());
    if (!inserted) {
      const PickledStorage& first = storages[it->second];
      if (first.element_type != storage.element_type || first.numel != storage.numel) {
        throw FormatError("storage '" + printable(storage.key) + "' is described inconsistently by different tensors");
      }
    } else {
      const std::string record_name = prefix + "data/" + storage.key;
      const ZipEntry* entry = archive.find(record_name);
      if (entry == nullptr) {
        throw FormatError("storage '" + printable(storage.key) + "' of tensor '" + printable(tensor.name) +
                          "' is missing (no record '" + printable(record_name) + "')");
      }
      const uint64_t bytes = checked_multiply(storage.numel, element_size(storage.element_type), "storage byte size");
      if (entry->size != bytes) {
        throw FormatError("record '" + printable(record_name) + "' holds " + std::to_string(entry->size) +
                          " bytes but its " + std::string(element_type_name(storage.element_type)) + " storage of " +
                          std::to_string(storage.numel) + " elements needs " + std::to_string(bytes));
      }
      // Real storages do not overlap, so together they fit in the file; checked before allocating any.
      total_bytes = checked_add(total_bytes, bytes, "total storage size");
      if (total_bytes > source->size()) throw FormatError("storages claim more bytes than the file holds");
      StoredRecord record;
      record.element_type = storage.element_type;
      record.numel = storage.numel;
      record.offset = archive.data_offset(*entry);
      record.zip_entry = *entry;
      records.push_back(std::move(record));
      storages.push_back(storage);
    }
    StoredTensor stored;
    stored.name = tensor.name;
    stored.record = it->second;
    stored.sizes = tensor.sizes;
    stored.strides = tensor.strides;
    stored.storage_offset = tensor.storage_offset;
    tensors.push_back(std::move(stored));
  }
  return std::make_shared<const StoredTensors>(std::move(source), std::move(records), std::move(tensors));
}

}  // namespace

std::shared_ptr<const StoredTensors> index_torch_zip_checkpoint(std::shared_ptr<const ByteSource> source) {
  return index_zip(std::move(source), PickleContent::kStateDict);
}

std::shared_ptr<const StoredTensors> index_torchscript_zip_tensors(std::shared_ptr<const ByteSource> source) {
  return index_zip(std::move(source), PickleContent::kScriptModule);
}

bool is_torchscript_zip(const ByteSource& source) {
  const ZipArchive archive(source);
  const std::string prefix = find_record_prefix(archive);
  if (archive.find(prefix + "constants.pkl") != nullptr) return true;
  const std::string code_folder = prefix + "code/";
  for (const ZipEntry& entry : archive.entries()) {
    if (entry.name.compare(0, code_folder.size(), code_folder) == 0) return true;
  }
  return false;
}

}  // namespace shape::checkpoint_detail
