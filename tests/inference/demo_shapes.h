// Trained fields for decoder tests: the demo model's latent for a prompt (16 steps at its own
// guidance) and its decoder, unlike the golden decoders' random fields.
#pragma once

#include <string>

#include "inference/checkpoint/checkpoint.h"
#include "inference/decoder/shape_decoder.h"
#include "inference/pipeline/latent_generator.h"
#include "inference/pipeline/model_folder.h"

namespace shape::testing {

struct DemoShape {
  ShapeDecoder decoder{nullptr};
  torch::Tensor latent;  // [1, latent size]
};

inline DemoShape demo_shape(const std::string& prompt) {
  const auto files = model_folder_files(demo_model_folder());
  LatentGenerator generator(files.generator);
  GenerationSettings settings;
  settings.steps = 16;
  choose_guidance(settings, std::nullopt, files.recommended_guidance, 2.0);
  const auto latent = generator.generate({{prompt, {}}}, settings).latents.at(0);
  DemoShape shape{ShapeDecoder(load_decoder_config(files.decoder_config.string())),
                  torch::tensor(latent.values).unsqueeze(0)};
  bind_decoder_weights(*shape.decoder, load_checkpoint(files.decoder_weights));
  shape.decoder->eval();
  return shape;
}

}  // namespace shape::testing
