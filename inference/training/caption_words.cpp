#include "inference/training/caption_words.h"

#include <map>
#include <sstream>

#include <torch/nn/functional/loss.h>

#include "inference/clip/image_preprocess.h"

namespace shape::training {

CaptionWordTable caption_word_table(const std::vector<std::string>& captions,
                                    const std::vector<std::string>& colour_words) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<int64_t>> captions_of;
  for (size_t caption = 0; caption < captions.size(); ++caption) {
    std::istringstream words(captions[caption]);
    for (std::string word; words >> word;) {
      auto& rows = captions_of[word];
      if (rows.empty()) order.push_back(word);
      if (rows.empty() || rows.back() != static_cast<int64_t>(caption)) rows.push_back(static_cast<int64_t>(caption));
    }
  }
  CaptionWordTable table;
  for (const auto& word : order) {
    if (captions_of[word].size() < captions.size()) table.words.push_back(word);
  }
  table.has_word = torch::zeros({static_cast<int64_t>(captions.size()), static_cast<int64_t>(table.words.size())});
  table.colour_free = torch::ones({static_cast<int64_t>(table.words.size())});
  for (size_t column = 0; column < table.words.size(); ++column) {
    for (const auto& colour : colour_words) {
      if (table.words[column] == colour) table.colour_free[static_cast<int64_t>(column)] = 0.0;
    }
  }
  for (size_t column = 0; column < table.words.size(); ++column) {
    for (const int64_t row : captions_of[table.words[column]]) table.has_word[row][static_cast<int64_t>(column)] = 1.0;
  }
  return table;
}

CaptionWordPredictorImpl::CaptionWordPredictorImpl(int64_t feature_dim, int64_t words)
    : read_out_(register_module("read_out", torch::nn::Linear(feature_dim, words))) {}

torch::Tensor CaptionWordPredictorImpl::loss(const torch::Tensor& features, const torch::Tensor& has_word) {
  return torch::nn::functional::binary_cross_entropy_with_logits(read_out_(features), has_word);
}

torch::Tensor CaptionWordPredictorImpl::masked_loss(const torch::Tensor& features, const torch::Tensor& has_word,
                                                   const torch::Tensor& mask) {
  const auto each = torch::nn::functional::binary_cross_entropy_with_logits(
      read_out_(features), has_word, torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  return (each * mask).sum() / (mask.sum() * features.size(0)).clamp_min(1.0);
}

torch::Tensor CaptionWordPredictorImpl::agreement_loss(const torch::Tensor& features, const torch::Tensor& reference,
                                                      const torch::Tensor& mask) {
  const auto target = torch::sigmoid(read_out_(reference)).detach();
  // Less the reference's cross-entropy with itself (its entropy), so 0 when the readings agree.
  return masked_loss(features, target, mask) - masked_loss(reference, target, mask).detach();
}

torch::Tensor colourless_pictures(const torch::Tensor& pictures) {
  const auto mean = torch::tensor({kClipImageMean[0], kClipImageMean[1], kClipImageMean[2]}).view({1, 3, 1, 1});
  const auto std = torch::tensor({kClipImageStd[0], kClipImageStd[1], kClipImageStd[2]}).view({1, 3, 1, 1});
  const auto rgb = pictures * std + mean;
  // Rec. 601 luma, as Pillow's convert("L").
  const auto luma = (rgb.select(1, 0) * 0.299 + rgb.select(1, 1) * 0.587 + rgb.select(1, 2) * 0.114).unsqueeze(1);
  return (luma - mean) / std;
}

double CaptionWordPredictorImpl::exact_rate(const torch::Tensor& features, const torch::Tensor& has_word) {
  torch::NoGradGuard no_grad;
  return ((read_out_(features) > 0) == (has_word > 0.5)).all(1).to(torch::kFloat32).mean().item<double>();
}

}  // namespace shape::training
