// `stillmoving inspect` as a user runs it: output, --json, exit statuses.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_run.h"
#include "tests/keylist.h"

namespace sm {
namespace {

std::string fixture(const std::string& name) { return "'" + test::dataPath("fixtures/" + name) + "'"; }

TEST(InspectCli, DescribesAMotionModule) {
  const CliRun run = runCli("inspect " + fixture("mm_tiny_v2_original.ckpt"));
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("motion-module (v2, original naming)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("torch-zip"), std::string::npos);
  EXPECT_NE(run.out.find("21 motion modules"), std::string::npos) << run.out;
  EXPECT_TRUE(run.err.empty()) << run.err;
}

TEST(InspectCli, JsonListsEveryPathWithCountsMatchingTheManifest) {
  std::ifstream in(test::dataPath("fixtures/manifest.json"));
  const auto manifest = nlohmann::json::parse(in);
  std::string args = "inspect --json";
  for (const auto& entry : manifest)
    if (entry["kind"] != "unknown") args += " " + fixture(entry["path"]);
  const CliRun run = runCli(args);
  EXPECT_EQ(run.status, 0) << run.err;
  const auto result = nlohmann::json::parse(run.out);
  ASSERT_EQ(result.size(), manifest.size() - 1);
  size_t i = 0;
  for (const auto& entry : manifest) {
    if (entry["kind"] == "unknown") continue;
    EXPECT_EQ(result[i]["kind"], entry["kind"]) << entry["path"];
    EXPECT_EQ(result[i]["tensors"], entry["tensors"]) << entry["path"];
    EXPECT_EQ(result[i]["parameters"], entry["parameters"]) << entry["path"];
    EXPECT_EQ(result[i]["keys_ok"], true) << entry["path"];
    ++i;
  }
}

// A broken input is the file's problem: exit status 3 (2 is the command line's).
TEST(InspectCli, BrokenAndUnknownFilesGetOneLineAndStatusThree) {
  std::ifstream in(test::dataPath("malformed/manifest.json"));
  const auto manifest = nlohmann::json::parse(in);
  std::vector<std::string> paths{test::dataPath("fixtures/unknown_tensors.safetensors")};
  for (const auto& entry : manifest) {
    std::string p = test::dataPath("malformed/" + entry["path"].get<std::string>());
    const std::string suffix = "/model_index.json";
    if (p.size() > suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
      p.resize(p.size() - suffix.size());
    paths.push_back(p);
  }
  for (const auto& path : paths) {
    const CliRun run = runCli("inspect '" + path + "'");
    EXPECT_EQ(run.status, 3) << path << "\n" << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    // Exactly one line, naming the file.
    ASSERT_FALSE(run.err.empty()) << path;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    const std::string name = path.substr(path.find_last_of('/') + 1);
    EXPECT_NE(run.err.find(name), std::string::npos) << run.err;
    EXPECT_EQ(run.err.rfind("stillmoving: error: ", 0), 0u) << run.err;
  }
}

TEST(InspectCli, GoodAndBadPathsTogetherReportBothAndFail) {
  const CliRun run = runCli("inspect " + fixture("lora_tiny_kohya.safetensors") + " /nonexistent.safetensors");
  EXPECT_EQ(run.status, 3);
  EXPECT_NE(run.out.find("lora (unet+text-encoder, kohya naming)"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("/nonexistent.safetensors: no such file"), std::string::npos) << run.err;
}

TEST(InspectCli, UsageErrorsExitTwoWithAMessage) {
  CliRun run = runCli("inspect");
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("inspect needs at least one PATH"), std::string::npos) << run.err;
  run = runCli("frobnicate");
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("unknown command 'frobnicate'"), std::string::npos) << run.err;
  run = runCli("--threads 0 version");
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("--threads must be an integer from 1"), std::string::npos) << run.err;
  run = runCli("--threads 2 version");
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out.rfind("stillmoving ", 0), 0u);
}

}  // namespace
}  // namespace sm
