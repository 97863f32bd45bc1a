#include "inference/training/model_averaging.h"

#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/checkpoint/safetensors_writer.h"
#include "inference/export/file_io.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/training_run.h"

namespace shape::training {
namespace fs = std::filesystem;
namespace {

// The transmitter's keys that make the latent: the encoder trunk (its params projection belongs to
// the decoder, which a decoder-only fine-tune changes without changing the latents).
bool is_encoder_trunk(const std::string& key) {
  return key.rfind("encoder.", 0) == 0 && key.rfind("encoder.params_proj.", 0) != 0;
}

// `first_transmitter` is the first folder's transmitter weights, loaded once for all comparisons.
void require_same_encoder(const StateDict& first_transmitter, const fs::path& first, const fs::path& other) {
  const StateDict transmitter = load_checkpoint(other / kTransmitterWeightsFile);
  for (const auto& key : first_transmitter.keys()) {
    if (!is_encoder_trunk(key)) continue;
    if (!transmitter.contains(key) || !torch::equal(first_transmitter.at(key), transmitter.at(key))) {
      throw TrainingError(other.string() + " was trained on another stage-1 encoder than " + first.string() +
                          " (" + key + " differs): its latents, and so its model, are not comparable");
    }
  }
}

// One input at a time, so memory holds the running sums and a single model, not all of them.
NamedTensors mean_of(const std::vector<fs::path>& inputs, const char* file) {
  const fs::path first_path = inputs.front() / file;
  const StateDict first = load_checkpoint(first_path);
  std::vector<torch::Tensor> sums;
  for (const auto& key : first.keys()) sums.push_back(first.at(key).to(torch::kFloat64));
  for (size_t i = 1; i < inputs.size(); ++i) {
    const fs::path path = inputs[i] / file;
    const StateDict other = load_checkpoint(path);
    if (other.size() != first.size()) {
      throw TrainingError(path.string() + " holds " + std::to_string(other.size()) + " tensors, " +
                          first_path.string() + " " + std::to_string(first.size()));
    }
    for (size_t k = 0; k < first.keys().size(); ++k) {
      const std::string& key = first.keys()[k];
      if (!other.contains(key)) throw TrainingError(path.string() + " has no tensor " + key);
      const torch::Tensor& tensor = other.at(key);
      if (tensor.sizes() != first.at(key).sizes() || tensor.scalar_type() != first.at(key).scalar_type()) {
        throw TrainingError(path.string() + ": " + key + " differs in shape or type from " + first_path.string());
      }
      sums[k] += tensor.to(torch::kFloat64);
    }
  }
  NamedTensors mean;
  for (size_t k = 0; k < first.keys().size(); ++k) {
    const std::string& key = first.keys()[k];
    mean.emplace_back(key, (sums[k] / static_cast<double>(inputs.size())).to(first.at(key).scalar_type()));
  }
  return mean;
}

}  // namespace

void average_model_folders(const std::vector<fs::path>& inputs, const fs::path& out) {
  if (inputs.size() < 2) throw TrainingError("averaging needs at least two model folders");
  // The modes the first folder holds; every other must hold them too.
  std::vector<ConditioningMode> modes;
  for (const auto mode : {ConditioningMode::kText, ConditioningMode::kImage}) {
    if (model_folder_has(inputs.front(), mode)) modes.push_back(mode);
  }
  for (const auto& input : inputs) {
    try {
      if (modes.empty()) model_folder_files(input);  // names what is missing
      for (const auto mode : modes) model_folder_files(input, mode);
    } catch (const std::runtime_error& error) {
      throw TrainingError(input.string() + " is not a model folder like " + inputs.front().string() + ": " +
                          error.what());
    }
  }
  if (fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out))) {
    throw TrainingError(out.string() + " already exists: averaging writes a new model folder");
  }
  std::vector<const char*> configs = {kDiffusionConfigFile, kTransmitterConfigFile};
  std::vector<const char*> averaged;
  for (const auto mode : modes) {
    const ModelFolderNames& names = model_folder_names(mode);
    configs.push_back(names.transformer_config);
    configs.push_back(names.clip_config);
    averaged.push_back(names.transformer_weights);
    averaged.push_back(names.clip_weights);
  }
  std::vector<std::string> first_configs;
  for (const char* config : configs) first_configs.push_back(read_whole_file(inputs.front() / config));
  const StateDict first_transmitter = load_checkpoint(inputs.front() / kTransmitterWeightsFile);
  for (size_t i = 1; i < inputs.size(); ++i) {
    for (size_t c = 0; c < configs.size(); ++c) {
      if (read_whole_file(inputs[i] / configs[c]) != first_configs[c]) {
        throw TrainingError((inputs[i] / configs[c]).string() + " differs from " +
                            (inputs.front() / configs[c]).string() +
                            ": only models of the same configuration can be averaged");
      }
    }
    require_same_encoder(first_transmitter, inputs.front(), inputs[i]);
  }
  std::vector<NamedTensors> means;
  for (const char* file : averaged) means.push_back(mean_of(inputs, file));

  std::error_code error;
  fs::create_directories(out, error);
  if (error) throw TrainingError(out.string() + ": cannot create the folder (" + error.message() + ")");
  std::vector<FileContents> files;
  for (size_t c = 0; c < configs.size(); ++c) files.push_back({out / configs[c], first_configs[c]});
  for (const char* name : {kTransmitterWeightsFile, kModelLabelFile, kSamplingDefaultsFile}) {
    if (fs::exists(inputs.front() / name)) files.push_back({out / name, read_whole_file(inputs.front() / name)});
  }
  for (size_t f = 0; f < averaged.size(); ++f) files.push_back({out / averaged[f], serialize_safetensors(means[f])});
  write_files_atomically(files);
}

}  // namespace shape::training
