#include "inference/weights/weights_catalog.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "inference/weights/sha256.h"

namespace shape {
namespace {

TEST(WeightsCatalogTest, OfficialFilesAreCompleteAndWellFormed) {
  const auto& files = official_weights_files();
  EXPECT_EQ(files.size(), 10u);
  std::set<std::string> names, filenames;
  for (const auto& file : files) {
    EXPECT_NO_THROW(validate_weights_file(file)) << file.name;
    EXPECT_TRUE(is_sha256_hex(file.sha256)) << file.name;
    EXPECT_EQ(file.url.rfind("https://openaipublic.azureedge.net/", 0), 0u) << file.url;
    EXPECT_FALSE(file.description.empty()) << file.name;
    names.insert(file.name);
    filenames.insert(file.filename);
  }
  EXPECT_EQ(names.size(), files.size());
  EXPECT_EQ(filenames.size(), files.size());
}

TEST(WeightsCatalogTest, OfficialEntriesMatchTheReferenceTable) {
  const auto& text = official_weights_file("text300M");
  EXPECT_EQ(text.filename, "text_cond.pt");
  EXPECT_EQ(text.url, "https://openaipublic.azureedge.net/main/shap-e/text_cond.pt");
  EXPECT_EQ(text.sha256, "e6b4fa599a7b3c3b16c222d5f5fe56f9db9289ff0b6575fbe5c11bc97106aad4");
  EXPECT_EQ(official_weights_file("transmitter").sha256,
            "af02a0b85a8abdfb3919584b63c540ba175f6ad4790f574a7fef4617e5acdc3b");
  EXPECT_EQ(official_weights_file("diffusion-config").url,
            "https://openaipublic.azureedge.net/main/shap-e/diffusion_config.yaml");
  const auto& clip = official_weights_file("ViT-L/14");
  EXPECT_EQ(clip.filename, "ViT-L-14.pt");
  EXPECT_NE(clip.url.find(clip.sha256), std::string::npos) << "CLIP's hash is part of its URL";
}

TEST(WeightsCatalogTest, UnknownNameListsTheKnownOnes) {
  try {
    official_weights_file("text999M");
    FAIL();
  } catch (const std::out_of_range& error) {
    EXPECT_NE(std::string(error.what()).find("text999M"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("image300M"), std::string::npos);
  }
}

TEST(WeightsCatalogTest, CustomEntriesAreValidated) {
  const std::string hash = sha256_hex("weights");
  std::string upper = hash;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto custom = make_custom_weights_file("my-finetune", "https://example.org/ft.pt", upper, "ft.pt");
  EXPECT_EQ(custom.sha256, hash) << "hashes are normalised to lower case";
  EXPECT_NO_THROW(make_custom_weights_file("local-only", "", "", "local.pt"));

  EXPECT_THROW(make_custom_weights_file("", "https://example.org/a.pt", "", "a.pt"), std::invalid_argument);
  EXPECT_THROW(make_custom_weights_file("x", "https://example.org/a.pt", "", "../a.pt"), std::invalid_argument);
  EXPECT_THROW(make_custom_weights_file("x", "https://example.org/a.pt", "", "sub/a.pt"), std::invalid_argument);
  EXPECT_THROW(make_custom_weights_file("x", "https://example.org/a.pt", "", ".hidden"), std::invalid_argument);
  EXPECT_THROW(make_custom_weights_file("x", "https://example.org/a.pt", "", ""), std::invalid_argument);
  EXPECT_THROW(make_custom_weights_file("x", "ftp://example.org/a.pt", "", "a.pt"), std::invalid_argument);
  EXPECT_THROW(make_custom_weights_file("x", "file:///etc/passwd", "", "a.pt"), std::invalid_argument);
  EXPECT_THROW(make_custom_weights_file("x", "https://example.org/a.pt", "abc", "a.pt"), std::invalid_argument);
  try {
    make_custom_weights_file("x", "https://example.org/a.pt", "", "sub/a.pt");
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("sub/a.pt"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace shape
