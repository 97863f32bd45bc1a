// Where a checkpoint's tensors lie in its file, found without reading their bytes, and reading them:
// straight over the file's bytes where the source lends them (a mapped file), copied otherwise.
// The zip and safetensors readers produce this index; load_checkpoint reads every tensor from it,
// open_checkpoint only those asked for.
#pragma once

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/element_type.h"
#include "inference/checkpoint/state_dict.h"
#include "inference/checkpoint/zip_archive.h"

namespace shape::checkpoint_detail {

// A run of elements in the source: a zip storage record or a safetensors tensor's data.
struct StoredRecord {
  ElementType element_type = ElementType::Float32;
  uint64_t numel = 0;
  uint64_t offset = 0;               // where its bytes start in the source
  std::optional<ZipEntry> zip_entry;  // zip records: the entry whose CRC-32 the bytes must match
};

// A named tensor: a strided view of one record (the readers checked that it stays inside it).
struct StoredTensor {
  std::string name;
  size_t record = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
  uint64_t storage_offset = 0;
  // The tensor is its record, element for element in order, and no other tensor uses the record:
  // read with no copy where the source lends its bytes. Others are copied into memory of their own.
  bool whole_record = true;
};

class StoredTensors {
 public:
  // Throws FormatError if records leave the source, or if the tensors that must be copied (views
  // that share a record or repeat elements with stride 0) would need more memory than a file of
  // this size may make us allocate.
  StoredTensors(std::shared_ptr<const ByteSource> source, std::vector<StoredRecord> records,
                std::vector<StoredTensor> tensors);

  const std::vector<StoredTensor>& tensors() const { return tensors_; }
  const StoredRecord& record_of(size_t tensor_index) const { return records_[tensors_[tensor_index].record]; }

  // One tensor, contiguous: over the source's bytes when it is a whole record, the source lends
  // them and they are aligned for the element type (the memory is then shared with the source, and
  // the source stays alive with the tensor); otherwise in memory of its own. The record's CRC-32 is
  // checked the first time it is read. Throws FormatError.
  torch::Tensor read_tensor(size_t index) const;
  // Every tensor, in order, each record read once. Throws FormatError.
  StateDict read_all() const;

 private:
  // The record's elements, 1-D: a view of the source where possible, else a copy.
  torch::Tensor read_record(size_t index) const;
  torch::Tensor cut(const torch::Tensor& record, const StoredTensor& tensor) const;

  std::shared_ptr<const ByteSource> source_;
  std::vector<StoredRecord> records_;
  std::vector<StoredTensor> tensors_;
  std::unique_ptr<std::atomic<bool>[]> verified_;  // per record: its CRC-32 was checked
};

// Every tensor of `stored`, unread (StateDict::insert_unread): each is read when asked for, and a
// failure then is a CheckpointError naming `display_name`.
StateDict unread_state_dict(const std::shared_ptr<const StoredTensors>& stored, const std::string& display_name);

}  // namespace shape::checkpoint_detail
