// Internal entry points behind load_checkpoint, for tests and fuzzing: load from any byte source
// (e.g. a buffer in memory) with the same format detection and error handling as the public call.
#pragma once

#include <c10/util/Exception.h>

#include <cstddef>
#include <exception>
#include <new>
#include <memory>
#include <string>

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/state_dict.h"
#include "inference/checkpoint/stored_tensors.h"

namespace shape::checkpoint_detail {

enum class CheckpointFormat { TorchZip, Safetensors, LegacyTorchPickle, Unknown };

// From the first bytes: "PK\3\4" zip, '{' after an 8-byte length safetensors, 0x80 (pickle PROTO)
// legacy torch.save.
CheckpointFormat detect_format(const ByteSource& source);

// Where the tensors of a zip or safetensors checkpoint lie (detect_format picks the reader). Throws
// FormatError.
std::shared_ptr<const StoredTensors> index_checkpoint(std::shared_ptr<const ByteSource> source);

// Every tensor, read. Throws only CheckpointError; its message starts with `display_name` (a path
// in practice).
StateDict load_checkpoint_from(std::shared_ptr<const ByteSource> source, const std::string& display_name);

// Runs `load`; every failure leaves as a CheckpointError whose message starts with `display_name`,
// whatever raised it (format errors, torch errors, out of memory).
template <typename Load>
auto with_error_context(const std::string& display_name, Load&& load) -> decltype(load()) {
  try {
    return load();
  } catch (const FormatError& error) {
    throw CheckpointError(display_name + ": " + error.what());
  } catch (const CheckpointError& error) {
    throw CheckpointError(display_name + ": " + error.what());
  } catch (const c10::Error& error) {
    throw CheckpointError(display_name + ": " + error.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    throw CheckpointError(display_name + ": out of memory while loading the checkpoint");
  } catch (const std::exception& error) {
    throw CheckpointError(display_name + ": " + error.what());
  }
}

// The same for a copy of a buffer in memory, whose tensors are built over that copy as over a
// mapped file (so tests and the fuzzer reach that path too).
StateDict load_checkpoint_from_memory(const void* data, size_t size, const std::string& display_name);

}  // namespace shape::checkpoint_detail
