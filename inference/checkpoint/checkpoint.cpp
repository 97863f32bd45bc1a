#include "inference/checkpoint/checkpoint.h"

#include <algorithm>
#include <string>

#include "inference/checkpoint/checkpoint_loader.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/mapped_file.h"
#include "inference/checkpoint/safetensors_checkpoint.h"
#include "inference/checkpoint/torch_zip_checkpoint.h"

namespace shape {
namespace checkpoint_detail {
namespace {

constexpr size_t kSafetensorsHeaderStart = 8;

}  // namespace

CheckpointFormat detect_format(const ByteSource& source) {
  const uint64_t size = source.size();
  if (size == 0) throw FormatError("file is empty");
  uint8_t head[kSafetensorsHeaderStart + 1] = {};
  const auto head_size = static_cast<size_t>(std::min<uint64_t>(size, sizeof head));
  source.read(0, head, head_size);
  if (head_size >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
    return CheckpointFormat::TorchZip;
  }
  // The header length itself is validated by the safetensors reader, which explains what is wrong.
  if (head_size > kSafetensorsHeaderStart && head[kSafetensorsHeaderStart] == '{') return CheckpointFormat::Safetensors;
  if (head[0] == 0x80) return CheckpointFormat::LegacyTorchPickle;
  return CheckpointFormat::Unknown;
}

std::shared_ptr<const StoredTensors> index_checkpoint(std::shared_ptr<const ByteSource> source) {
  switch (detect_format(*source)) {
    case CheckpointFormat::TorchZip: return index_torch_zip_checkpoint(std::move(source));
    case CheckpointFormat::Safetensors: return index_safetensors_checkpoint(std::move(source));
    case CheckpointFormat::LegacyTorchPickle:
      throw FormatError(
          "legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with torch>=1.6 "
          "(torch.save(torch.load(f), f))");
    case CheckpointFormat::Unknown: break;
  }
  throw FormatError("not a PyTorch or safetensors checkpoint");
}

StateDict load_checkpoint_from(std::shared_ptr<const ByteSource> source, const std::string& display_name) {
  return with_error_context(display_name, [&] { return index_checkpoint(std::move(source))->read_all(); });
}

StateDict load_checkpoint_from_memory(const void* data, size_t size, const std::string& display_name) {
  return load_checkpoint_from(std::make_shared<SharedBufferByteSource>(data, size), display_name);
}

}  // namespace checkpoint_detail

StateDict load_checkpoint(const std::filesystem::path& path) {
  const std::string display_name = path.string();
  return checkpoint_detail::with_error_context(display_name, [&] {
    return checkpoint_detail::index_checkpoint(checkpoint_detail::open_file_source(path))->read_all();
  });
}

StateDict open_checkpoint(const std::filesystem::path& path) {
  const std::string display_name = path.string();
  return checkpoint_detail::with_error_context(display_name, [&] {
    return unread_state_dict(checkpoint_detail::index_checkpoint(checkpoint_detail::open_file_source(path)),
                             display_name);
  });
}

}  // namespace shape
