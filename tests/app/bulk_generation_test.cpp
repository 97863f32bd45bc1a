// shape-cli generate --prompts-file FILE --out-dir DIR: many prompts shared out over the ranks of a
// job, resumable, with a manifest; with the golden small models.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "inference/checkpoint/json_parser.h"
#include "tests/app/app_test_support.h"

namespace fs = std::filesystem;

namespace shape {
namespace {

using checkpoint_detail::JsonValue;
using testing::read_text;
using testing::run_shell;
using testing::shell_quoted;

std::string cli() { return shell_quoted(SHAPE_CLI_PATH); }

std::vector<JsonValue> manifest_records(const fs::path& manifest) {
  std::istringstream lines(read_text(manifest));
  std::vector<JsonValue> records;
  for (std::string line; std::getline(lines, line);) records.push_back(checkpoint_detail::parse_json(line));
  return records;
}

// Every file in `dir` but the manifest.
std::set<std::string> outputs_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename() != "manifest.jsonl") names.insert(entry.path().filename().string());
  }
  return names;
}

class BulkGeneration : public testing::TestWithFolder {
 protected:
  std::string generate() const {
    return cli() + " generate --steps 2 --grid 16 --precision fp32 --seed 11" + testing::golden_model_arguments("text");
  }
};

const std::set<std::string> kOutputs = {"00002-a-red-chair-seed7.glb", "00003-a-blue-lamp-seed11.glb",
                                        "00005-a-shark-seed11.glb", "00006-a-green-cube-seed0.glb"};

TEST_F(BulkGeneration, RanksShareTheLinesAndTheSameCommandResumes) {
  std::ofstream(path("prompts.txt")) << "# props for the demo level\na red chair\t7\nA blue lamp!\n\na shark\n"
                                        "a green cube\t0\n";
  const std::string bulk = generate() + " --prompts-file " + path("prompts.txt") + " --out-dir " + path("out");
  // Both ranks at once, appending to one manifest.
  const auto both = run_shell("(RANK=0 WORLD_SIZE=2 " + bulk + " > " + path("rank0.txt") + " 2>&1; echo rank0=$?) & " +
                              "(RANK=1 WORLD_SIZE=2 " + bulk + " > " + path("rank1.txt") + " 2>&1; echo rank1=$?) & wait");
  EXPECT_NE(both.output.find("rank0=0"), std::string::npos) << both.output << read_text(path("rank0.txt"));
  EXPECT_NE(both.output.find("rank1=0"), std::string::npos) << both.output << read_text(path("rank1.txt"));
  EXPECT_NE(read_text(path("rank1.txt")).find("[rank 1/2] 2/2 00006-a-green-cube-seed0.glb"), std::string::npos)
      << read_text(path("rank1.txt"));
  EXPECT_EQ(outputs_in(path("out")), kOutputs);

  // Prompt lines 1..4 go to ranks 0, 1, 0, 1; each record says what was made with what.
  const auto records = manifest_records(path("out/manifest.jsonl"));
  ASSERT_EQ(records.size(), 4u);
  std::set<std::string> recorded;
  for (const auto& record : records) {
    const auto& output = record.at("output").as_string();
    recorded.insert(output);
    EXPECT_EQ(record.at("rank").as_int64(), output == "00002-a-red-chair-seed7.glb" || output == "00005-a-shark-seed11.glb" ? 0 : 1);
    EXPECT_TRUE(record.at("surface").as_bool());
    EXPECT_GT(record.at("triangles").as_int64(), 0);
    EXPECT_EQ(record.at("sampler").as_string(), "heun");
    EXPECT_EQ(record.at("steps").as_int64(), 2);
    EXPECT_EQ(record.at("grid").as_int64(), 16);
    EXPECT_EQ(record.at("precision").as_string(), "fp32");
    EXPECT_GT(record.at("seconds").as_double(), 0.0);
    EXPECT_NE(record.at("model_files").at("transformer_weights").as_string().find("e2e_text.transformer"),
              std::string::npos);
    if (output == "00002-a-red-chair-seed7.glb") {
      EXPECT_EQ(record.at("prompt").as_string(), "a red chair");
      EXPECT_EQ(record.at("seed").as_int64(), 7);
      EXPECT_EQ(record.at("line").as_int64(), 2);
    }
  }
  EXPECT_EQ(recorded, kOutputs);

  // A line's mesh is what generate makes of its prompt and seed alone.
  const auto single = run_shell(generate() + " --prompt 'a red chair' --seed 7 -o " + path("single.glb"));
  ASSERT_EQ(single.exit_code, 0) << single.output;
  EXPECT_EQ(read_text(path("out/00002-a-red-chair-seed7.glb")), read_text(path("single.glb")));

  // Run again: nothing to do. With one output gone: only that one is made again.
  const auto again = run_shell("RANK=0 WORLD_SIZE=2 " + bulk);
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("[rank 0/2] 2 of 4 prompts are this process's: 2 already made, 0 to make"),
            std::string::npos) << again.output;
  fs::remove(path("out/00003-a-blue-lamp-seed11.glb"));
  const auto remade = run_shell(bulk);  // one process: every line is its own
  EXPECT_EQ(remade.exit_code, 0) << remade.output;
  EXPECT_NE(remade.output.find("[rank 0/1] 4 of 4 prompts are this process's: 3 already made, 1 to make"),
            std::string::npos) << remade.output;
  EXPECT_EQ(outputs_in(path("out")), kOutputs);
  EXPECT_EQ(manifest_records(path("out/manifest.jsonl")).size(), 5u);
}

TEST_F(BulkGeneration, AMalformedLineIsNamedBeforeAnyWork) {
  std::ofstream(path("prompts.txt")) << "a chair\n a lamp\tseven \n";
  const auto result = run_shell(generate() + " --prompts-file " + path("prompts.txt") + " --out-dir " + path("out"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(path("prompts.txt") + " line 2: the seed after the tab must be a non-negative integer, "
                                                     "got 'seven'"),
            std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(path("out")));

  std::ofstream(path("empty.txt")) << "# nothing yet\n\n";
  const auto empty = run_shell(generate() + " --prompts-file " + path("empty.txt") + " --out-dir " + path("out"));
  EXPECT_EQ(empty.exit_code, 1) << empty.output;
  EXPECT_NE(empty.output.find("has no prompts"), std::string::npos) << empty.output;

  for (const auto& [arguments, expected] : std::vector<std::pair<std::string, std::string>>{
           {" --prompts-file " + path("prompts.txt"), "--prompts-file and --out-dir go together"},
           {" --prompts-file " + path("prompts.txt") + " --out-dir " + path("out") + " -o x.glb",
            "-o does not apply with --prompts-file"},
           {" --prompts-file " + path("prompts.txt") + " --out-dir " + path("out") + " --prompt x",
            "--prompt does not apply with --prompts-file"}}) {
    const auto usage = run_shell(generate() + arguments);
    EXPECT_EQ(usage.exit_code, 2) << usage.output;
    EXPECT_NE(usage.output.find(expected), std::string::npos) << usage.output;
  }
}

// Ctrl-C between or during samples: every file in the folder is a finished output the manifest
// lists, and the same command makes the rest.
TEST_F(BulkGeneration, CtrlCLeavesNoPartialFileAndTheRunContinues) {
  std::ofstream prompts(path("prompts.txt"));
  for (int i = 0; i < 12; ++i) prompts << "a chair number " << i << "\n";
  prompts.close();
  const std::string bulk = generate() + " --prompts-file " + path("prompts.txt") + " --out-dir " + path("out");
  const std::string script = bulk + " 2> " + shell_quoted(path("err.txt")) + " & pid=$!; " +
                             "for i in $(seq 600); do grep -q '\\] 2/12' " + shell_quoted(path("err.txt")) +
                             " && break; sleep 0.05; done; kill -INT $pid; wait $pid; echo exit=$?";
  std::ofstream(path("interrupt.sh")) << script << "\n";
  const auto interrupted = run_shell("bash " + shell_quoted(path("interrupt.sh")));
  EXPECT_NE(interrupted.output.find("exit=130"), std::string::npos) << interrupted.output;
  EXPECT_NE(read_text(path("err.txt")).find("run the same command again"), std::string::npos) << read_text(path("err.txt"));
  const auto records = manifest_records(path("out/manifest.jsonl"));
  std::set<std::string> recorded;
  for (const auto& record : records) recorded.insert(record.at("output").as_string());
  EXPECT_EQ(outputs_in(path("out")), recorded);  // no temporary or partial file
  EXPECT_GE(records.size(), 2u);
  EXPECT_LT(records.size(), 12u);

  const auto rest = run_shell(bulk);
  EXPECT_EQ(rest.exit_code, 0) << rest.output;
  EXPECT_EQ(manifest_records(path("out/manifest.jsonl")).size(), 12u);
  EXPECT_EQ(outputs_in(path("out")).size(), 12u);
}

}  // namespace
}  // namespace shape
