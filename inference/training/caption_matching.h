// CLIP-style caption matching for a text tower that stage 2 trains from scratch. The diffusion
// loss alone teaches such a tower colour words poorly: the demo model's first tower embedded "a
// small green torus" and "a small purple torus" 0.92 alike (cosine), and the model drew the green
// one purple. The matching loss pulls each caption's embedding towards a learnt linear
// projection of its shape's latent and away from the batch's other shapes (InfoNCE, as CLIP trains
// on image-text pairs), so the tower tells apart what the latents do. It can run before stage 2
// (a warm-up) and alongside it (an extra loss term, which keeps the diffusion loss from merging
// colours again).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "inference/clip/bpe_tokenizer.h"
#include "inference/clip/clip_model.h"
#include "inference/training/caption_words.h"
#include "inference/training/training_run.h"

namespace shape::training {

// Stage 2's training set: each shape's latent and its conditions, the tokens of each phrasing of its
// caption (a text model) or its pictures (an image model; a "phrasing" is then one picture, and its
// text the shape's full caption, so pictures of shapes of one combination match each other's shapes).
struct CaptionedLatents {
  torch::Tensor latents;         // [shapes, flat latent]
  torch::Tensor tokens;          // [phrasings, context] long: each shape's phrasings, shape after shape
                                 // (undefined for pictures: see images)
  torch::Tensor first_phrasing;  // [shapes] long: where a shape's phrasings start in `tokens`
  torch::Tensor phrasing_count;  // [shapes] long
  torch::Tensor phrasing_text;   // [phrasings] long: one id per distinct caption text
  torch::Tensor named;           // [shapes, caption texts] bool: one of the shape's phrasings has that text
  torch::Tensor images;            // instead of tokens: [pictures, 3, R, R] float, CLIP-preprocessed
  std::vector<std::string> texts;  // the caption texts, by phrasing_text's ids
  CaptionWordTable words;          // their words (caption_words.h)

  // One phrasing drawn uniformly for each of `shapes` ([n] long), from `generator`.
  torch::Tensor draw_phrasings(const torch::Tensor& shapes, at::Generator& generator) const;
  // [captions, shapes] float 0/1: caption i is one of shape j's phrasings. Shapes of a combination
  // share captions, and "a red cube" names small and large red cubes alike, so a caption can match
  // several shapes.
  torch::Tensor caption_matches(const torch::Tensor& captions, const torch::Tensor& shapes) const;
};

// The set of shapes whose latents are `latents` (one row each) and whose caption phrasings are
// `phrasings` (shape i's at i).
CaptionedLatents captioned_latents(torch::Tensor latents, const std::vector<std::vector<std::string>>& phrasings,
                                   const ClipTokenizer& tokenizer);

// The set of shapes whose latents are `latents` and whose pictures are `images` ([pictures, 3, R, R],
// shape after shape), `picture_counts[i]` of shape i, each captioned `captions[i]`.
// `colour_words`: the captions' words that name colours (CaptionWordTable::colour_free).
CaptionedLatents pictured_latents(torch::Tensor latents, torch::Tensor images,
                                  const std::vector<int64_t>& picture_counts, const std::vector<std::string>& captions,
                                  const std::vector<std::string>& colour_words = {});

// What the condition tower makes of rows `rows` of the set's conditions: its unit embeddings
// (embed_text of the tokens, or embed_image of the pictures), what stage 2 is conditioned on (the
// embedding, or the pictures' patch grid [n, width, tokens]), and the features caption words are
// read from (the embedding, or the grid's mean over its tokens). Pictures go through `jitter`
// (picture_jitter.h; one per row) when it is given.
struct ConditionEmbeddings {
  torch::Tensor embedding, condition, word_features;
  torch::Tensor pictures;  // the pictures the tower saw (undefined for captions)
};
ConditionEmbeddings embed_conditions(ClipModel& tower, const CaptionedLatents& data, const torch::Tensor& rows,
                                     const torch::Tensor& jitter = {});
// Which words the captions of rows `rows` have ([n, words], CaptionWordTable::has_word's rows).
torch::Tensor caption_words_of(const CaptionedLatents& data, const torch::Tensor& rows);
// The caption word loss of embedded conditions (embed_conditions) given caption_words_of their rows;
// for pictures whose captions have colour words, plus the loss of the words but colours read from
// grey copies (colourless_pictures) of the pictures the tower saw and, weighted
// `colour_blind_weight`, the agreement loss of the words but colours read from the pictures with
// those read from their grey copies: the tower may be no surer of a picture's kind and size than
// its shape shows.
torch::Tensor caption_word_loss(ClipModel& tower, CaptionWordPredictor& words, const CaptionedLatents& data,
                                const ConditionEmbeddings& embedded, const torch::Tensor& has_word,
                                double colour_blind_weight = 0.0);
// The width of embed_conditions' word_features.
int64_t word_feature_dim(const ClipModel& tower, const CaptionedLatents& data);

// The shape side of the matching: latent -> unit vector in the text embedding space, and CLIP's
// learnt temperature.
class CaptionMatcherImpl : public torch::nn::Module {
 public:
  CaptionMatcherImpl(int64_t latent_size, int64_t embed_dim, at::Generator& generator);
  // The symmetric matching loss of text embeddings [n, embed_dim] (unit length, as embed_text
  // gives them) against latents [m, latent_size], given `matches` [n, m].
  torch::Tensor loss(const torch::Tensor& text_embeddings, const torch::Tensor& latents,
                     const torch::Tensor& matches);
  // Share of captions whose best-scoring shape is one they match.
  double match_rate(const torch::Tensor& text_embeddings, const torch::Tensor& latents, const torch::Tensor& matches);

 private:
  torch::Tensor logits(const torch::Tensor& text_embeddings, const torch::Tensor& latents);
  torch::Tensor projection_, log_scale_;
};
TORCH_MODULE(CaptionMatcher);

struct TowerWarmupOptions {
  int64_t steps = 0;
  int64_t batch_size = 64;
  double learning_rate = 1e-3;
  uint64_t seed = 0;
  double word_weight = 0.0;  // of the caption word loss, when a word predictor is given
  double colour_blind_weight = 0.0;  // caption_word_loss's
  bool jitter_pictures = false;  // picture_jitter.h
};

// Trains `tower` (text or vision) and `matcher` on the matching loss (plus, given `words`, the
// caption word loss), with an Adam of its own. Each step's draws are a function of (seed, step);
// `cancel` stops it after the current step. Progress, with the loss and the match rate (and the
// share of captions whose words are all read right), is reported about a hundred times.
void warm_up_condition_tower(ClipModel& tower, CaptionMatcher& matcher, CaptionWordPredictor words,
                             const CaptionedLatents& data, const TowerWarmupOptions& options,
                             const TrainingCallback& on_progress = nullptr, const std::atomic<bool>* cancel = nullptr);

}  // namespace shape::training
