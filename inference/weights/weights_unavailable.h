// The error for "these model files are not here and could not be fetched": one structured list the
// CLI and GUI can show, each entry naming the file, its URL and where to put it.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference/weights/downloader.h"
#include "inference/weights/weights_catalog.h"

namespace shape {

// A copy that was found but cannot be used.
struct RejectedCopy {
  std::filesystem::path path;
  std::string reason;  // "SHA-256 is 1234... instead of abcd...", "cannot be read: ..."
};

struct MissingWeightsFile {
  WeightsFile file;
  std::filesystem::path destination;          // where to put it by hand: the path a download would create
  std::string reason;                         // why it is not available, one line
  std::optional<DownloadFailure> failure;     // set when a download was attempted and failed
  std::vector<RejectedCopy> rejected_copies;  // copies found but not usable
};

class WeightsUnavailable : public std::runtime_error {
 public:
  WeightsUnavailable(std::vector<MissingWeightsFile> missing,
                     std::optional<std::filesystem::path> weights_directory = std::nullopt);
  const std::vector<MissingWeightsFile>& missing() const { return missing_; }
  // Every download that was attempted failed because no server could be reached.
  bool offline() const;

 private:
  std::vector<MissingWeightsFile> missing_;
};

// The multi-line message of WeightsUnavailable: a summary line, then for each file its name, URL,
// destination path, the reason and any rejected copies, then where else files may be placed.
std::string format_missing_weights(const std::vector<MissingWeightsFile>& missing,
                                   const std::optional<std::filesystem::path>& weights_directory = std::nullopt);

}  // namespace shape
