#include "inference/checkpoint/torch_zip_checkpoint.h"

#include <torch/types.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/pickle_reader.h"
#include "inference/checkpoint/tensor_allocation.h"
#include "inference/checkpoint/zip_archive.h"

namespace shape::checkpoint_detail {
namespace {

// torch writes a few kB of pickle per hundred tensors; this only refuses absurd records.
constexpr uint64_t kMaxPickleSize = uint64_t{64} << 20;
// Views that share a storage are copied into tensors of their own. Stride-0 views may be larger than
// their storage; this bounds how much a small hostile file can make us allocate that way.
constexpr uint64_t kMaxCopiedBytesPerFileByte = 16;
constexpr uint64_t kCopiedBytesAllowance = uint64_t{1} << 20;

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

struct StorageUse {
  PickledStorage storage;
  const ZipEntry* entry = nullptr;
  std::vector<size_t> tensors;  // indices into the pickled tensor list
};

// Groups the tensors by storage (in order of first use) and checks each storage against its record.
std::vector<StorageUse> collect_storages(const std::vector<PickledTensor>& tensors, const ZipArchive& archive,
                                         const std::string& prefix, uint64_t file_size) {
  std::vector<StorageUse> storages;
  std::unordered_map<std::string, size_t> index_by_key;
  uint64_t total_bytes = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const PickledStorage& storage = tensors[i].storage;
    const auto [it, inserted] = index_by_key.emplace(storage.key, storages.size());
    if (!inserted) {
      StorageUse& use = storages[it->second];
      if (use.storage.element_type != storage.element_type || use.storage.numel != storage.numel) {
        throw FormatError("storage '" + printable(storage.key) + "' is described inconsistently by different tensors");
      }
      use.tensors.push_back(i);
      continue;
    }
    StorageUse use;
    use.storage = storage;
    use.tensors.push_back(i);
    const std::string record = prefix + "data/" + storage.key;
    use.entry = archive.find(record);
    if (use.entry == nullptr) {
      throw FormatError("storage '" + printable(storage.key) + "' of tensor '" + printable(tensors[i].name) +
                        "' is missing (no record '" + printable(record) + "')");
    }
    const uint64_t bytes = checked_multiply(storage.numel, element_size(storage.element_type), "storage byte size");
    if (use.entry->size != bytes) {
      throw FormatError("record '" + printable(record) + "' holds " + std::to_string(use.entry->size) +
                        " bytes but its " + std::string(element_type_name(storage.element_type)) + " storage of " +
                        std::to_string(storage.numel) + " elements needs " + std::to_string(bytes));
    }
    // Real storages do not overlap, so together they fit in the file; checked before allocating any.
    total_bytes = checked_add(total_bytes, bytes, "total storage size");
    if (total_bytes > file_size) throw FormatError("storages claim more bytes than the file holds");
    storages.push_back(std::move(use));
  }
  return storages;
}

enum class PickleContent { kStateDict, kScriptModule };

StateDict load_zip(const ByteSource& source, PickleContent content) {
  const ZipArchive archive(source);
  const std::string prefix = find_record_prefix(archive);
  check_byte_order(archive, prefix);
  const std::vector<uint8_t> pickle = archive.read(*archive.find(prefix + "data.pkl"), kMaxPickleSize);
  const std::vector<PickledTensor> tensors = content == PickleContent::kStateDict
                                                 ? parse_state_dict_pickle(pickle.data(), pickle.size())
                                                 : parse_script_module_pickle(pickle.data(), pickle.size());
  const std::vector<StorageUse> storages = collect_storages(tensors, archive, prefix, source.size());

  const uint64_t copy_budget = checked_add(checked_multiply(source.size(), kMaxCopiedBytesPerFileByte, "copy budget"),
                                           kCopiedBytesAllowance, "copy budget");
  uint64_t copied_bytes = 0;
  std::vector<torch::Tensor> results(tensors.size());
  // One storage at a time: read once, cut into its tensors, released before the next is read.
  for (const StorageUse& use : storages) {
    const auto numel = static_cast<int64_t>(use.storage.numel);
    torch::Tensor storage = allocate_tensor(use.storage.element_type, {numel});
    if (numel > 0) archive.read_into(*use.entry, storage.data_ptr());
    check_bool_values(storage);
    for (const size_t index : use.tensors) {
      const PickledTensor& tensor = tensors[index];
      // Safe: the pickle reader checked that the view stays inside the storage.
      torch::Tensor view =
          storage.as_strided(tensor.sizes, tensor.strides, static_cast<int64_t>(tensor.storage_offset));
      if (use.tensors.size() == 1 && tensor.storage_offset == 0 && view.numel() == numel && view.is_contiguous()) {
        results[index] = view;  // the common case: the tensor is its whole storage, no copy needed
        continue;
      }
      copied_bytes = checked_add(copied_bytes, tensor_byte_size(use.storage.element_type, tensor.sizes), "copied size");
      if (copied_bytes > copy_budget) {
        throw FormatError(
            "tensor views (stride 0 or shared storages) expand to more data than a file of this size "
            "may hold (at tensor '" +
            printable(tensor.name) + "')");
      }
      results[index] = view.clone(torch::MemoryFormat::Contiguous);  // own, contiguous memory
    }
  }

  StateDict state_dict;
  for (size_t i = 0; i < tensors.size(); ++i) state_dict.insert(tensors[i].name, std::move(results[i]));
  return state_dict;
}

}  // namespace

StateDict load_torch_zip_checkpoint(const ByteSource& source) { return load_zip(source, PickleContent::kStateDict); }

StateDict load_torchscript_zip_tensors(const ByteSource& source) {
  return load_zip(source, PickleContent::kScriptModule);
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
