// Starting a deeper diffusion transformer from a trained one. Fine-tuning a model with more
// residual blocks than its starting weights keeps what those weights learnt: the starting blocks
// come first, and each added block starts as the identity, so the deeper model first draws exactly
// what the starting one did and training decides what the new blocks add.
#pragma once

#include "inference/checkpoint/state_dict.h"
#include "inference/models/diffusion_transformer.h"

namespace shape::training {

// `start` completed for `model`, a diffusion transformer with as many residual blocks as `start`
// (returned as it is) or more: each block `start` lacks takes `model`'s own freshly initialised
// tensors, but with its output projections (attn.c_proj and mlp.c_proj, weight and bias) zero, so
// it adds nothing to the residual stream. Every other tensor is `start`'s, shared, not copied;
// binding the result checks their shapes. A `start` with more blocks than `model` throws a
// TrainingError.
StateDict deepen_transformer(const StateDict& start, const SplitVectorDiffusionImpl& model);

}  // namespace shape::training
