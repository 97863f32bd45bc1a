#include "inference/weights/weights_unavailable.h"

#include <sstream>

namespace shape {
namespace {

bool is_offline(const std::vector<MissingWeightsFile>& missing) {
  bool any_attempt = false;
  for (const auto& entry : missing) {
    if (!entry.failure) continue;
    any_attempt = true;
    if (*entry.failure != DownloadFailure::Unreachable) return false;
  }
  return any_attempt;
}

}  // namespace

WeightsUnavailable::WeightsUnavailable(std::vector<MissingWeightsFile> missing,
                                       std::optional<std::filesystem::path> weights_directory)
    : std::runtime_error(format_missing_weights(missing, weights_directory)), missing_(std::move(missing)) {}

bool WeightsUnavailable::offline() const { return is_offline(missing_); }

std::string format_missing_weights(const std::vector<MissingWeightsFile>& missing,
                                   const std::optional<std::filesystem::path>& weights_directory) {
  std::ostringstream text;
  const std::size_t count = missing.size();
  text << count << (count == 1 ? " model file is" : " model files are") << " not available";
  if (is_offline(missing)) text << " (the download server could not be reached: offline?)";
  text << ".\nDownload " << (count == 1 ? "it" : "each file") << " from its URL and put it at the path shown:\n";
  for (const auto& entry : missing) {
    text << "  " << entry.file.name << " (" << entry.file.filename << ")\n"
         << "    URL:     " << (entry.file.url.empty() ? "(none known)" : entry.file.url) << "\n"
         << "    put at:  " << entry.destination.string() << "\n";
    if (!entry.file.sha256.empty()) text << "    SHA-256: " << entry.file.sha256 << "\n";
    if (!entry.reason.empty()) text << "    reason:  " << entry.reason << "\n";
    for (const auto& copy : entry.rejected_copies) {
      text << "    ignored: " << copy.path.string() << " (" << copy.reason << ")\n";
    }
  }
  if (weights_directory) {
    text << "Files placed in " << weights_directory->string() << " (the weights folder) are used too.";
  } else {
    text << "A folder of files downloaded by hand can also be given with --weights-dir.";
  }
  return text.str();
}

}  // namespace shape
