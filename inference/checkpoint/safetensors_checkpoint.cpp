#include "inference/checkpoint/safetensors_checkpoint.h"

#include <torch/types.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/element_type.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/json_parser.h"
#include "inference/checkpoint/tensor_allocation.h"

namespace shape::checkpoint_detail {
namespace {

constexpr uint64_t kHeaderLengthSize = 8;
// The reference implementation's limit.
constexpr uint64_t kMaxHeaderSize = uint64_t{100} << 20;
constexpr size_t kMaxTensorDims = 64;

struct TensorLayout {
  std::string name;
  ElementType element_type = ElementType::Float32;
  std::vector<int64_t> sizes;
  uint64_t begin = 0;  // relative to the first byte after the header
  uint64_t end = 0;
};

uint64_t non_negative(const JsonValue& value, const std::string& what) {
  const int64_t number = value.as_int64();
  if (number < 0) throw FormatError(what + " is negative");
  return static_cast<uint64_t>(number);
}

TensorLayout parse_tensor_layout(const std::string& name, const JsonValue& description, uint64_t data_size) {
  TensorLayout layout;
  layout.name = name;
  const std::string& dtype = description.at("dtype").as_string();
  const auto element_type = element_type_from_safetensors(dtype);
  if (!element_type) throw FormatError("unsupported dtype '" + printable(dtype) + "'");
  layout.element_type = *element_type;

  const std::vector<JsonValue>& shape = description.at("shape").as_array();
  if (shape.size() > kMaxTensorDims) throw FormatError("too many dimensions");
  for (const JsonValue& size : shape) layout.sizes.push_back(static_cast<int64_t>(non_negative(size, "a size")));
  const uint64_t byte_size = tensor_byte_size(layout.element_type, layout.sizes);

  const std::vector<JsonValue>& offsets = description.at("data_offsets").as_array();
  if (offsets.size() != 2) throw FormatError("data_offsets must hold [begin, end]");
  layout.begin = non_negative(offsets[0], "data offset");
  layout.end = non_negative(offsets[1], "data offset");
  if (layout.begin > layout.end || layout.end > data_size) {
    throw FormatError("data_offsets [" + std::to_string(layout.begin) + ", " + std::to_string(layout.end) +
                      "] are outside the " + std::to_string(data_size) + " data bytes");
  }
  if (layout.end - layout.begin != byte_size) {
    throw FormatError("data_offsets span " + std::to_string(layout.end - layout.begin) + " bytes but " + dtype +
                      " shape needs " + std::to_string(byte_size));
  }
  return layout;
}

// Each tensor's bytes must be its own (the reference reader rejects overlaps too).
void check_no_overlaps(const std::vector<TensorLayout>& layouts) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const TensorLayout& layout : layouts) {
    if (layout.end > layout.begin) ranges.emplace_back(layout.begin, layout.end);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      throw FormatError("tensor data ranges overlap (bytes " + std::to_string(ranges[i].first) + ".." +
                        std::to_string(ranges[i - 1].second) + ")");
    }
  }
}

}  // namespace

std::shared_ptr<const StoredTensors> index_safetensors_checkpoint(std::shared_ptr<const ByteSource> source) {
  const uint64_t file_size = source->size();
  if (file_size < kHeaderLengthSize) throw FormatError("truncated safetensors file");
  uint8_t length_bytes[kHeaderLengthSize];
  source->read(0, length_bytes, kHeaderLengthSize);
  uint64_t header_size = 0;
  for (size_t i = 0; i < kHeaderLengthSize; ++i) header_size |= uint64_t{length_bytes[i]} << (8 * i);
  if (header_size > kMaxHeaderSize) {
    throw FormatError("safetensors header length " + std::to_string(header_size) + " exceeds the 100 MB limit");
  }
  if (header_size > file_size - kHeaderLengthSize) {
    throw FormatError("safetensors header length " + std::to_string(header_size) + " runs past the end of the " +
                      std::to_string(file_size) + "-byte file (truncated?)");
  }
  const std::vector<uint8_t> header_bytes = source->read_vector(kHeaderLengthSize, static_cast<size_t>(header_size));
  const uint64_t data_start = kHeaderLengthSize + header_size;
  const uint64_t data_size = file_size - data_start;

  JsonValue header;
  try {
    header = parse_json(std::string_view(reinterpret_cast<const char*>(header_bytes.data()), header_bytes.size()));
  } catch (const FormatError& error) {
    throw FormatError(std::string("safetensors header: ") + error.what());
  }
  if (!header.is_object()) throw FormatError("safetensors header is not a JSON object");

  std::vector<TensorLayout> layouts;
  for (const JsonValue::Member& member : header.as_object()) {
    if (member.key == "__metadata__") continue;
    try {
      layouts.push_back(parse_tensor_layout(member.key, member.value, data_size));
    } catch (const FormatError& error) {
      throw FormatError("safetensors tensor '" + printable(member.key) + "': " + error.what());
    }
  }
  check_no_overlaps(layouts);

  // Each tensor is a record of its own, contiguous.
  std::vector<StoredRecord> records;
  std::vector<StoredTensor> tensors;
  for (TensorLayout& layout : layouts) {
    StoredRecord record;
    record.element_type = layout.element_type;
    record.numel = (layout.end - layout.begin) / element_size(layout.element_type);
    record.offset = data_start + layout.begin;
    StoredTensor tensor;
    tensor.name = std::move(layout.name);
    tensor.record = records.size();
    tensor.strides.resize(layout.sizes.size());
    uint64_t stride = 1;  // fits whenever the tensor has elements (its byte size was checked)
    for (size_t i = layout.sizes.size(); i-- > 0;) {
      tensor.strides[i] = static_cast<int64_t>(stride);
      stride *= static_cast<uint64_t>(std::max<int64_t>(layout.sizes[i], 1));
    }
    tensor.sizes = std::move(layout.sizes);
    records.push_back(record);
    tensors.push_back(std::move(tensor));
  }
  return std::make_shared<const StoredTensors>(std::move(source), std::move(records), std::move(tensors));
}

}  // namespace shape::checkpoint_detail
