#include "inference/training/caption_matching.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <torch/nn/functional/normalization.h>
#include <torch/optim/adam.h>

#include "inference/training/picture_jitter.h"

namespace shape::training {
namespace {

// Stage 2's steps draw from stream 0 of (seed, step); the warm-up's own stream keeps them apart.
constexpr uint64_t kWarmupStream = 1;
constexpr double kInitialTemperature = 0.07;  // CLIP's
constexpr double kMaxLogitScale = 100.0;      // CLIP's clamp on the learnt scale

// Cross-entropy of each row against a uniform target over its matches.
torch::Tensor matched_cross_entropy(const torch::Tensor& logits, const torch::Tensor& matches) {
  const auto target = matches / matches.sum(1, true);
  return -(target * torch::log_softmax(logits, 1)).sum(1).mean();
}

std::vector<std::string> texts_by_id(const std::map<std::string, int64_t>& text_id) {
  std::vector<std::string> texts(text_id.size());
  for (const auto& [text, id] : text_id) texts[static_cast<size_t>(id)] = text;
  return texts;
}

}  // namespace

torch::Tensor CaptionedLatents::draw_phrasings(const torch::Tensor& shapes, at::Generator& generator) const {
  const auto counts = phrasing_count.index_select(0, shapes);
  const auto offset = torch::rand({shapes.size(0)}, generator, torch::kFloat64) * counts;
  return first_phrasing.index_select(0, shapes) + offset.floor().to(torch::kLong);
}

torch::Tensor CaptionedLatents::caption_matches(const torch::Tensor& captions, const torch::Tensor& shapes) const {
  return named.index_select(0, shapes).index_select(1, phrasing_text.index_select(0, captions)).t().to(torch::kFloat32);
}

CaptionedLatents captioned_latents(torch::Tensor latents, const std::vector<std::vector<std::string>>& phrasings,
                                   const ClipTokenizer& tokenizer) {
  std::vector<ClipTokens> tokens;
  std::vector<int64_t> first, count, shape_of, text_of;
  std::map<std::string, int64_t> text_id;
  for (size_t shape = 0; shape < phrasings.size(); ++shape) {
    first.push_back(static_cast<int64_t>(tokens.size()));
    count.push_back(static_cast<int64_t>(phrasings[shape].size()));
    for (const auto& phrasing : phrasings[shape]) {
      tokens.push_back(tokenizer.tokenize(phrasing));
      shape_of.push_back(static_cast<int64_t>(shape));
      text_of.push_back(text_id.emplace(phrasing, static_cast<int64_t>(text_id.size())).first->second);
    }
  }
  const auto phrasing_text = torch::tensor(text_of, torch::kLong);
  const auto shapes = static_cast<int64_t>(phrasings.size()), texts = static_cast<int64_t>(text_id.size());
  auto named = torch::zeros({shapes, texts}, torch::kBool);
  named.index_put_({torch::tensor(shape_of, torch::kLong), phrasing_text}, true);
  CaptionedLatents data;
  data.latents = std::move(latents);
  data.tokens = clip_token_batch(tokens);
  data.first_phrasing = torch::tensor(first, torch::kLong);
  data.phrasing_count = torch::tensor(count, torch::kLong);
  data.phrasing_text = phrasing_text;
  data.named = named;
  data.texts = texts_by_id(text_id);
  data.words = caption_word_table(data.texts);
  return data;
}

CaptionedLatents pictured_latents(torch::Tensor latents, torch::Tensor images,
                                  const std::vector<int64_t>& picture_counts, const std::vector<std::string>& captions,
                                  const std::vector<std::string>& colour_words) {
  TORCH_CHECK(picture_counts.size() == captions.size() && static_cast<int64_t>(captions.size()) == latents.size(0),
              "pictured_latents: one picture count and caption per latent");
  std::vector<int64_t> first, text_of;
  std::vector<int64_t> shape_text;
  std::map<std::string, int64_t> text_id;
  int64_t pictures = 0;
  for (size_t shape = 0; shape < captions.size(); ++shape) {
    const int64_t text = text_id.emplace(captions[shape], static_cast<int64_t>(text_id.size())).first->second;
    shape_text.push_back(text);
    first.push_back(pictures);
    pictures += picture_counts[shape];
    text_of.insert(text_of.end(), static_cast<size_t>(picture_counts[shape]), text);
  }
  TORCH_CHECK(pictures == images.size(0), "pictured_latents: ", images.size(0), " pictures for counts adding up to ",
              pictures);
  const auto shapes = static_cast<int64_t>(captions.size()), texts = static_cast<int64_t>(text_id.size());
  auto named = torch::zeros({shapes, texts}, torch::kBool);
  named.index_put_({torch::arange(shapes), torch::tensor(shape_text, torch::kLong)}, true);
  CaptionedLatents data;
  data.latents = std::move(latents);
  data.images = std::move(images);
  data.first_phrasing = torch::tensor(first, torch::kLong);
  data.phrasing_count = torch::tensor(picture_counts, torch::kLong);
  data.phrasing_text = torch::tensor(text_of, torch::kLong);
  data.named = named;
  data.texts = texts_by_id(text_id);
  data.words = caption_word_table(data.texts, colour_words);
  return data;
}

torch::Tensor caption_words_of(const CaptionedLatents& data, const torch::Tensor& rows) {
  return data.words.has_word.index_select(0, data.phrasing_text.index_select(0, rows));
}

torch::Tensor caption_word_loss(ClipModel& tower, CaptionWordPredictor& words, const CaptionedLatents& data,
                                const ConditionEmbeddings& embedded, const torch::Tensor& has_word,
                                double colour_blind_weight) {
  const auto& colour_free = data.words.colour_free;
  auto loss = words->loss(embedded.word_features, has_word);
  if (!data.images.defined() || colour_free.min().item<float>() > 0.5f) return loss;
  const auto grey = colourless_pictures(embedded.pictures);
  const auto grey_features = tower->embed_image_and_grid(grey).grid.mean(2);
  loss = loss + words->masked_loss(grey_features, has_word, colour_free);
  if (colour_blind_weight > 0.0) {
    loss = loss + colour_blind_weight * words->agreement_loss(embedded.word_features, grey_features, colour_free);
  }
  return loss;
}

ConditionEmbeddings embed_conditions(ClipModel& tower, const CaptionedLatents& data, const torch::Tensor& rows,
                                     const torch::Tensor& jitter) {
  if (data.images.defined()) {
    auto pictures = data.images.index_select(0, rows);
    if (jitter.defined()) pictures = jitter_pictures(pictures, jitter);
    auto image = tower->embed_image_and_grid(pictures);
    auto pooled = image.grid.mean(2);
    return {std::move(image.vector), std::move(image.grid), std::move(pooled), std::move(pictures)};
  }
  TORCH_CHECK(!jitter.defined(), "embed_conditions: jitter is for pictures, not captions");
  auto text = tower->embed_text(data.tokens.index_select(0, rows));
  return {text, text, text, {}};
}

int64_t word_feature_dim(const ClipModel& tower, const CaptionedLatents& data) {
  return data.images.defined() ? tower->config().grid_feature_dim() : tower->config().embed_dim;
}

CaptionMatcherImpl::CaptionMatcherImpl(int64_t latent_size, int64_t embed_dim, at::Generator& generator) {
  const auto init = torch::randn({latent_size, embed_dim}, generator, torch::kFloat32) /
                    std::sqrt(static_cast<double>(latent_size));
  projection_ = register_parameter("projection", init);
  log_scale_ = register_parameter("log_scale", torch::full({}, std::log(1.0 / kInitialTemperature)));
}

torch::Tensor CaptionMatcherImpl::logits(const torch::Tensor& text_embeddings, const torch::Tensor& latents) {
  const auto shapes = torch::nn::functional::normalize(latents.matmul(projection_),
                                                       torch::nn::functional::NormalizeFuncOptions().dim(1));
  return text_embeddings.matmul(shapes.t()) * log_scale_.exp().clamp_max(kMaxLogitScale);
}

torch::Tensor CaptionMatcherImpl::loss(const torch::Tensor& text_embeddings, const torch::Tensor& latents,
                                       const torch::Tensor& matches) {
  const auto scores = logits(text_embeddings, latents);
  return 0.5 * (matched_cross_entropy(scores, matches) + matched_cross_entropy(scores.t(), matches.t()));
}

double CaptionMatcherImpl::match_rate(const torch::Tensor& text_embeddings, const torch::Tensor& latents,
                                      const torch::Tensor& matches) {
  torch::NoGradGuard no_grad;
  return matches.gather(1, logits(text_embeddings, latents).argmax(1, true)).mean().item<double>();
}

void warm_up_condition_tower(ClipModel& tower, CaptionMatcher& matcher, CaptionWordPredictor words,
                             const CaptionedLatents& data, const TowerWarmupOptions& options,
                             const TrainingCallback& on_progress, const std::atomic<bool>* cancel) {
  std::vector<torch::Tensor> parameters = tower->parameters();
  for (auto& parameter : matcher->parameters()) parameters.push_back(parameter);
  if (words) {
    for (auto& parameter : words->parameters()) parameters.push_back(parameter);
  }
  torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(options.learning_rate));
  tower->train();
  const auto start = std::chrono::steady_clock::now();
  const int64_t report_every = std::max<int64_t>(1, options.steps / 100);
  for (int64_t step = 0; step < options.steps; ++step) {
    if (cancel != nullptr && cancel->load()) break;
    auto generator = step_generator(options.seed, step, kWarmupStream);
    const auto shapes = torch::randint(data.latents.size(0), {options.batch_size}, generator, torch::kLong);
    const auto captions = data.draw_phrasings(shapes, generator);
    const auto matches = data.caption_matches(captions, shapes);
    const auto latents = data.latents.index_select(0, shapes);
    const auto jitter = options.jitter_pictures ? draw_picture_jitter(options.batch_size, generator) : torch::Tensor();

    clear_gradients(optimizer);
    const auto embedded = embed_conditions(tower, data, captions, jitter);
    const auto matching = matcher->loss(embedded.embedding, latents, matches);
    torch::Tensor has_word, word_loss;
    if (words) {
      has_word = caption_words_of(data, captions);
      word_loss = caption_word_loss(tower, words, data, embedded, has_word, options.colour_blind_weight);
      (matching + options.word_weight * word_loss).backward();
    } else {
      matching.backward();
    }
    optimizer.step();

    const int64_t done = step + 1;
    if (on_progress && (done % report_every == 0 || done == options.steps)) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::vector<std::pair<std::string, double>> values{
          {"matching loss", matching.item<double>()},
          {"match rate", matcher->match_rate(embedded.embedding, latents, matches)}};
      if (words) {
        values.emplace_back("word loss", word_loss.item<double>());
        values.emplace_back("words right", words->exact_rate(embedded.word_features, has_word));
      }
      on_progress({done, options.steps, seconds, eta_seconds(seconds, done, options.steps - done), values,
                   data.images.defined() ? "vision tower warm-up" : "text tower warm-up"});
    }
  }
}

}  // namespace shape::training
