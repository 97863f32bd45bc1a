// Averaging stage-2 models (`shape-cli average-models`): the element-wise mean of the diffusion
// transformer and CLIP tower weights (text, image or both models) of several model folders fine-tuned from one another. Each
// fine-tuning leg of a small model ends somewhere a little different in what it gets right; their
// mean ("model soup", like the weight averages diffusion models are usually sampled from) keeps
// what the legs share. Averaging only makes sense for models of one lineage on one latent space, so
// the folders must have the same configs and the same stage-1 encoder.
#pragma once

#include <filesystem>
#include <vector>

namespace shape::training {

// Writes a model folder to `out` (which must not exist yet, or be empty): for each model the first
// folder holds (text: text_cond.safetensors and clip_text.safetensors; image: image_cond.* and
// clip_vision.*), the means of the inputs' (in double precision, stored in each tensor's own
// type), and every other file (configs, transmitter, optional model.txt and sampling.yaml) is
// the first input's. Throws TrainingError naming the folder, file or tensor that does not match:
// fewer than two inputs, a missing file, a config that differs, an encoder that differs (the
// latents would differ; the decoder may, and the first input's is kept), a tensor missing or of
// another shape or type.
void average_model_folders(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out);

}  // namespace shape::training
