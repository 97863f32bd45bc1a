#include <gtest/gtest.h>

#include <map>
#include <string>

#include "inference/weights/cache_directory.h"
#include "tests/inference/weights_test_util.h"

namespace shape {
namespace {

EnvironmentLookup fake_environment(std::map<std::string, std::string> variables) {
  return [variables](const char* name) -> std::optional<std::string> {
    auto found = variables.find(name);
    if (found == variables.end() || found->second.empty()) return std::nullopt;
    return found->second;
  };
}

TEST(WeightsCacheDirectoryTest, FollowsThePrecedenceOfExplicitEnvironmentXdgAndHome) {
  const std::map<std::string, std::string> all = {
      {"SHAPE_STUDIO_CACHE", "/srv/cache"}, {"XDG_CACHE_HOME", "/xdg"}, {"HOME", "/home/ada"}};
  EXPECT_EQ(resolve_cache_directory(std::filesystem::path("/explicit"), fake_environment(all)), "/explicit");
  EXPECT_EQ(resolve_cache_directory(std::nullopt, fake_environment(all)), "/srv/cache");
  EXPECT_EQ(resolve_cache_directory(std::nullopt, fake_environment({{"XDG_CACHE_HOME", "/xdg"}, {"HOME", "/h"}})),
            "/xdg/shape-studio");
  EXPECT_EQ(resolve_cache_directory(std::nullopt, fake_environment({{"XDG_CACHE_HOME", ""}, {"HOME", "/home/ada"}})),
            "/home/ada/.cache/shape-studio");
  EXPECT_THROW(resolve_cache_directory(std::nullopt, fake_environment({})), std::runtime_error);
}

TEST(WeightsCacheDirectoryTest, RelativePathsBecomeAbsolute) {
  const auto resolved = resolve_cache_directory(std::filesystem::path("relative/cache"), fake_environment({}));
  EXPECT_TRUE(resolved.is_absolute());
  EXPECT_EQ(resolved, std::filesystem::current_path() / "relative" / "cache");
}

TEST(WeightsCacheDirectoryTest, PreparesAWritableFolderOrNamesWhyNot) {
  testing::ScratchDirectory scratch;
  const auto nested = scratch.path() / "a" / "b";
  EXPECT_NO_THROW(prepare_writable_directory(nested));
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  EXPECT_TRUE(std::filesystem::is_empty(nested)) << "the write probe is removed";

  testing::write_file(scratch.path() / "file", "");
  try {
    prepare_writable_directory(scratch.path() / "file" / "cache");
    FAIL();
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find((scratch.path() / "file" / "cache").string()), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace shape
