#include "inference/checkpoint/stored_tensors.h"

#include <cstdint>
#include <unordered_map>
#include <utility>

#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/checkpoint_loader.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/tensor_allocation.h"

namespace shape::checkpoint_detail {
namespace {

// Tensors that are copied (views that share a record, stride-0 views larger than their record) may
// need more memory than the file holds; this bounds how much a small hostile file can make us
// allocate that way.
constexpr uint64_t kMaxCopiedBytesPerFileByte = 16;
constexpr uint64_t kCopiedBytesAllowance = uint64_t{1} << 20;

bool is_contiguous_layout(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  int64_t expected = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 1) continue;
    if (sizes[i] == 0) return true;
    if (strides[i] != expected) return false;
    expected *= sizes[i];
  }
  return true;
}

uint64_t element_count(const std::vector<int64_t>& sizes) {
  uint64_t count = 1;
  for (const int64_t size : sizes) count = checked_multiply(count, static_cast<uint64_t>(size), "tensor element count");
  return count;
}

}  // namespace

StoredTensors::StoredTensors(std::shared_ptr<const ByteSource> source, std::vector<StoredRecord> records,
                             std::vector<StoredTensor> tensors)
    : source_(std::move(source)),
      records_(std::move(records)),
      tensors_(std::move(tensors)),
      verified_(std::make_unique<std::atomic<bool>[]>(records_.size())) {
  for (const StoredRecord& record : records_) {
    const uint64_t bytes = checked_multiply(record.numel, element_size(record.element_type), "record byte size");
    if (!range_fits(record.offset, bytes, source_->size())) {
      throw FormatError("tensor data (" + std::to_string(bytes) + " bytes at offset " + std::to_string(record.offset) +
                        ") runs past the end of the " + std::to_string(source_->size()) + "-byte file");
    }
  }
  std::vector<size_t> users(records_.size(), 0);
  for (const StoredTensor& tensor : tensors_) {
    if (tensor.record >= records_.size()) throw FormatError("tensor '" + printable(tensor.name) + "' has no record");
    ++users[tensor.record];
  }
  const uint64_t copy_budget = checked_add(
      checked_multiply(source_->size(), kMaxCopiedBytesPerFileByte, "copy budget"), kCopiedBytesAllowance, "copy budget");
  uint64_t copied_bytes = 0;
  for (StoredTensor& tensor : tensors_) {
    const StoredRecord& record = records_[tensor.record];
    tensor.whole_record = users[tensor.record] == 1 && tensor.storage_offset == 0 &&
                          element_count(tensor.sizes) == record.numel &&
                          is_contiguous_layout(tensor.sizes, tensor.strides);
    if (tensor.whole_record) continue;
    copied_bytes = checked_add(copied_bytes, tensor_byte_size(record.element_type, tensor.sizes), "copied size");
    if (copied_bytes > copy_budget) {
      throw FormatError(
          "tensor views (stride 0 or shared storages) expand to more data than a file of this size "
          "may hold (at tensor '" +
          printable(tensor.name) + "')");
    }
  }
}

torch::Tensor StoredTensors::read_record(size_t index) const {
  const StoredRecord& record = records_[index];
  const auto numel = static_cast<int64_t>(record.numel);
  const size_t bytes = static_cast<size_t>(record.numel * element_size(record.element_type));
  std::atomic<bool>& verified = verified_[index];
  torch::Tensor tensor;
  if (std::shared_ptr<const uint8_t> lent = bytes > 0 ? source_->view(record.offset, bytes) : nullptr;
      lent && reinterpret_cast<uintptr_t>(lent.get()) % element_size(record.element_type) == 0) {
    if (record.zip_entry && !verified.load()) ZipArchive::check_crc(*record.zip_entry, lent.get());
    auto* data = const_cast<uint8_t*>(lent.get());  // private to this process: see MappedFile
    tensor = torch::from_blob(
        data, {numel}, [lent](void*) mutable { lent.reset(); },
        torch::TensorOptions().dtype(to_scalar_type(record.element_type)).device(torch::kCPU));
  } else {
    tensor = allocate_tensor(record.element_type, {numel});
    if (bytes > 0) source_->read(record.offset, tensor.data_ptr(), bytes);
    if (record.zip_entry && !verified.load()) {
      ZipArchive::check_crc(*record.zip_entry, static_cast<const uint8_t*>(tensor.data_ptr()));
    }
  }
  verified.store(true);
  check_bool_values(tensor);
  return tensor;
}

torch::Tensor StoredTensors::cut(const torch::Tensor& record, const StoredTensor& tensor) const {
  if (tensor.whole_record) return record.view(tensor.sizes);  // the common case: no copy
  // Safe: the readers checked that the view stays inside the record.
  return record.as_strided(tensor.sizes, tensor.strides, static_cast<int64_t>(tensor.storage_offset))
      .clone(torch::MemoryFormat::Contiguous);
}

torch::Tensor StoredTensors::read_tensor(size_t index) const {
  const StoredTensor& tensor = tensors_[index];
  return cut(read_record(tensor.record), tensor);
}

StateDict StoredTensors::read_all() const {
  // One record at a time: read once, cut into its tensors, released before the next is read.
  std::vector<std::vector<size_t>> users(records_.size());
  std::vector<size_t> order;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (users[tensors_[i].record].empty()) order.push_back(tensors_[i].record);
    users[tensors_[i].record].push_back(i);
  }
  std::vector<torch::Tensor> results(tensors_.size());
  for (const size_t record_index : order) {
    const torch::Tensor record = read_record(record_index);
    for (const size_t i : users[record_index]) results[i] = cut(record, tensors_[i]);
  }
  StateDict state_dict;
  for (size_t i = 0; i < tensors_.size(); ++i) state_dict.insert(tensors_[i].name, std::move(results[i]));
  return state_dict;
}

StateDict unread_state_dict(const std::shared_ptr<const StoredTensors>& stored, const std::string& display_name) {
  StateDict state_dict;
  const std::vector<StoredTensor>& tensors = stored->tensors();
  for (size_t i = 0; i < tensors.size(); ++i) {
    // The dtype the reader gives: the record's element type.
    state_dict.insert_unread(tensors[i].name, tensors[i].sizes, to_scalar_type(stored->record_of(i).element_type),
                             [stored, i, display_name] {
                               return with_error_context(display_name, [&] { return stored->read_tensor(i); });
                             });
  }
  return state_dict;
}

}  // namespace shape::checkpoint_detail
