// Caption word prediction for a jointly trained condition tower: a linear read-out of the
// condition (an image model: the mean of the patch grid stage 2 reads; a text model: the
// embedding) is trained to say which of the training captions' words its caption has. Caption
// matching alone (caption_matching.h) compares a picture with the latents of one batch, whose
// shapes differ in random proportions as much as in kind, and taught the demo's vision tower shape
// slowly (a cube on a teal ground read as a cylinder after 2100 steps). Words name the attributes
// one by one ("small", "red", "cube"), so a picture of a combination never seen in training still
// has each of its words trained on other pictures.
#pragma once

#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

namespace shape::training {

// The words that tell captions apart (those of some of `captions` but not all, in first-seen
// order) and, for each caption, which of them it has ([captions, words] float 0/1).
// `colour_free` [words] is 0 for the words of `colour_words` and 1 for the others: the words a
// picture without its colours (colourless_pictures) still shows.
struct CaptionWordTable {
  std::vector<std::string> words;
  torch::Tensor has_word;
  torch::Tensor colour_free;
};
CaptionWordTable caption_word_table(const std::vector<std::string>& captions,
                                    const std::vector<std::string>& colour_words = {});

// CLIP-preprocessed pictures [n, 3, R, R] made grey (their luminance, preprocessed again). A tower
// trained on pictures whose kinds come in every colour but a few (the held-out combinations) learns
// to lean on colour for the kind: a large orange cone, never seen, read as the pyramid that large
// orange things with a point were. Words read from grey copies (colours masked out) must come from
// the shape alone.
torch::Tensor colourless_pictures(const torch::Tensor& pictures);

class CaptionWordPredictorImpl : public torch::nn::Module {
 public:
  CaptionWordPredictorImpl(int64_t feature_dim, int64_t words);
  // Mean binary cross-entropy of the word logits of `features` [n, feature_dim] against
  // `has_word` [n, words].
  torch::Tensor loss(const torch::Tensor& features, const torch::Tensor& has_word);
  // The same over the words where `mask` [words] is 1 only.
  torch::Tensor masked_loss(const torch::Tensor& features, const torch::Tensor& has_word, const torch::Tensor& mask);
  // How far the words read from `features` are from those read from `reference` [n, feature_dim]
  // (taken as fixed), over the words where `mask` [words] is 1: masked_loss against the reference's
  // probabilities, less that of the reference itself (a KL divergence per word).
  torch::Tensor agreement_loss(const torch::Tensor& features, const torch::Tensor& reference, const torch::Tensor& mask);
  // Share of rows whose predicted words (logit > 0) are exactly their caption's.
  double exact_rate(const torch::Tensor& features, const torch::Tensor& has_word);

 private:
  torch::nn::Linear read_out_{nullptr};
};
TORCH_MODULE(CaptionWordPredictor);

}  // namespace shape::training
