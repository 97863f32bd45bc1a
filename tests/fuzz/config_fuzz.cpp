// libFuzzer target for the YAML config readers (built by tests/fuzz/CMakeLists.txt, run by
// scripts/fuzz.sh). Each input is read by every parser: shap-e's transformer and diffusion
// configs, the decoder (transmitter) config and the encoder config. ConfigError is the documented
// failure; any other exception escapes and libFuzzer reports it as a crash, as it does sanitizer
// findings and timeouts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "inference/config/config_error.h"
#include "inference/config/model_config.h"
#include "inference/decoder/decoder_config.h"
#include "inference/training/encoder_config.h"

namespace {

template <typename Parse>
void parse_expecting_only_config_errors(Parse parse) {
  try {
    parse();
  } catch (const shape::ConfigError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  parse_expecting_only_config_errors([&] { shape::parse_diffusion_transformer_config(text, "fuzz input"); });
  parse_expecting_only_config_errors([&] { shape::parse_diffusion_config(text, "fuzz input"); });
  parse_expecting_only_config_errors([&] { shape::parse_decoder_config(text, "fuzz input"); });
  parse_expecting_only_config_errors([&] { shape::training::parse_encoder_config(text, "fuzz input"); });
  return 0;
}
