// libFuzzer target for the checkpoint reader (built by tests/fuzz/CMakeLists.txt, run by
// scripts/fuzz.sh).
//
// The first input byte picks what is fuzzed (byte % 3): 0 the whole loader (format detection, zip,
// safetensors, tensors built over the input's bytes as over a mapped file), 1 the pickle parser on
// a bare data.pkl, 2 the JSON parser on a bare safetensors header; the pickle and JSON parsers get
// inputs of their own because CRC-32 checks stop most whole-file mutations before the pickle is
// parsed. Seed files need that leading byte.
// Any exception other than the documented error type escapes and is reported by libFuzzer as a
// crash, as are sanitizer findings and timeouts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inference/checkpoint/checkpoint_loader.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/json_parser.h"
#include "inference/checkpoint/pickle_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  ++data;
  --size;
  switch (mode) {
    case 0: try { shape::checkpoint_detail::load_checkpoint_from_memory(data, size, "fuzz input");
      } catch (const shape::CheckpointError&) {
      }
      break;
    case 1: try { shape::checkpoint_detail::parse_state_dict_pickle(data, size);
      } catch (const shape::checkpoint_detail::FormatError&) {
      }
      break;
    default: try { shape::checkpoint_detail::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
      } catch (const shape::checkpoint_detail::FormatError&) {
      }
      break;
  }
  return 0;
}
