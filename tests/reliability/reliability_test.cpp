// The reliability probes (issue 15): what a user does to the CLI from a shell,
// kill -9 and Ctrl-C at random moments, huge requests, files that are not
// files, read-only folders, and the outcome each user needs: the old dataset
// still loads, the adapter is exported, nothing half-written is left, the
// exit status says whose problem it is.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "core/datasets/latent_video_dataset.h"
#include "core/io/safetensors.h"
#include "core/training/training_checkpoint.h"
#include "core/video/video_reader.h"
#include "tests/reliability/process.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;
using test::CliProcess;

std::string fixture(const std::string& name) { return std::string(SM_TEST_DATA_DIR) + "/fixtures/" + name; }
std::string toyWorld(const std::string& name) { return std::string(SM_SOURCE_DIR) + "/resources/toyworld/" + name; }
const std::vector<std::string> kTinyModels = {"--base", fixture("sd15_tiny_diffusers"), "--motion-module",
                                              fixture("motion_adapter_tiny_v2_diffusers")};

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Hidden leftovers of writers (".NAME.tmp-...") anywhere under `folder`.
std::vector<std::string> temporaryFiles(const fs::path& folder) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.path().filename().string().find(".tmp") != std::string::npos) found.push_back(entry.path().string());
  return found;
}

// Each tensor's bytes, by name: two adapter files are equal when these are.
std::map<std::string, std::string> tensorBytes(const std::string& path) {
  const io::StateDictIndex index = io::readSafetensors(path);
  std::map<std::string, std::string> bytes;
  for (const io::TensorInfo& info : index.tensors())
    bytes[info.name].assign(reinterpret_cast<const char*>(info.data), info.byteSize());
  return bytes;
}

class Reliability : public testing::Test {
 protected:
  std::string path(const std::string& name) const { return temp_.file(name); }
  std::string logs() const {
    fs::create_directories(temp_.path() / ".logs");
    return (temp_.path() / ".logs").string();
  }

  // A frozen dataset from the tiny model: `samples` images of 64x64, 4 frames; ~2 s.
  std::vector<std::string> frozenDataset(const std::string& out, int samples, int seed) const {
    return std::vector<std::string>{"--threads", "1", "dataset", "frozen", "--out", out} +
           std::vector<std::string>{"--base",    fixture("sd15_tiny_diffusers"),
                                    "--prompt",  "a photo of sks toy",
                                    "--samples", std::to_string(samples),
                                    "--width",   "64",
                                    "--height",  "64",
                                    "--frames",  "4",
                                    "--steps",   "2",
                                    "--seed",    std::to_string(seed),
                                    "--device",  "cpu"};
  }

  test::TempDir temp_{"sm_reliability"};
};

// kill -9 at random moments of a rebuild: the previous dataset always still loads, whole,
// and the next build cleans up what the killed one left beside it.
TEST_F(Reliability, ADatasetRebuildKilledAtRandomMomentsLeavesThePreviousDatasetWhole) {
  const std::string folder = path("frozen");
  ASSERT_EQ(test::runToEnd(frozenDataset(folder, 2, 1), logs()), 0);
  const std::string manifest = test::readFile(folder + "/dataset.json");
  const auto latents = tensorBytes(folder + "/latents.safetensors");
  std::mt19937 random(15);
  for (int probe = 0; probe < 4; ++probe) {
    CliProcess rebuild(frozenDataset(folder, 60, 100 + probe), logs());
    ASSERT_TRUE(rebuild.waitForStderr("sampling", 60)) << rebuild.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(random)));
    rebuild.signal(SIGKILL);
    ASSERT_NE(rebuild.wait(10), -1);
    // Either the old dataset, untouched, or (killed after the swap) the complete new one.
    const datasets::LatentVideoDataset dataset = datasets::LatentVideoDataset::open(folder);
    if (dataset.size() == 2) {
      EXPECT_EQ(test::readFile(folder + "/dataset.json"), manifest) << "probe " << probe;
      EXPECT_EQ(tensorBytes(folder + "/latents.safetensors"), latents) << "probe " << probe;
    } else {
      EXPECT_EQ(dataset.size(), 60u) << "probe " << probe;
    }
    for (size_t i = 0; i < dataset.size(); ++i) EXPECT_NO_THROW(dataset.sample(i, 4));
    EXPECT_TRUE(temporaryFiles(folder).empty()) << "inside the dataset: " << temporaryFiles(folder)[0];
  }
  ASSERT_EQ(test::runToEnd(frozenDataset(folder, 2, 1), logs()), 0);
  EXPECT_TRUE(temporaryFiles(temp_.path()).empty()) << temporaryFiles(temp_.path())[0];
  EXPECT_EQ(test::readFile(folder + "/dataset.json"), manifest);  // same settings, same dataset
}

// Ctrl-C during a rebuild: exit 130 within 2 s, the old dataset untouched, nothing left behind.
// A second build of the same folder meanwhile is refused at once (exit 4), naming the folder.
TEST_F(Reliability, ACancelledRebuildKeepsTheOldDatasetAndASecondBuildIsRefused) {
  const std::string folder = path("frozen");
  ASSERT_EQ(test::runToEnd(frozenDataset(folder, 2, 1), logs()), 0);
  const std::string manifest = test::readFile(folder + "/dataset.json");
  CliProcess rebuild(frozenDataset(folder, 500, 7), logs());
  ASSERT_TRUE(rebuild.waitForStderr("sampling", 60)) << rebuild.err();
  std::string err;
  EXPECT_EQ(test::runToEnd(frozenDataset(folder, 2, 9), logs(), &err), 4) << err;
  EXPECT_NE(err.find("another build"), std::string::npos) << err;
  EXPECT_NE(err.find(folder), std::string::npos) << err;
  rebuild.signal(SIGINT);
  EXPECT_EQ(rebuild.wait(10), 130) << rebuild.err();
  EXPECT_LT(rebuild.secondsWaited(), 2.0);
  EXPECT_EQ(test::readFile(folder + "/dataset.json"), manifest);
  EXPECT_TRUE(temporaryFiles(temp_.path()).empty()) << temporaryFiles(temp_.path())[0];
  std::vector<std::string> beside;
  for (const auto& entry : fs::directory_iterator(temp_.path())) beside.push_back(entry.path().filename().string());
  std::sort(beside.begin(), beside.end());
  EXPECT_EQ(beside, (std::vector<std::string>{".logs", "frozen"}));  // no lock, no staging folder
}

// kill -9 at random moments of training, then --resume: the adapter is exported and equals an
// uninterrupted run's, bit for bit. A fresh run over the leftovers is refused; --overwrite replaces.
TEST_F(Reliability, TrainingKilledAtRandomMomentsResumesToTheUninterruptedResult) {
  const std::string frozen = path("frozen");
  ASSERT_EQ(test::runToEnd(frozenDataset(frozen, 2, 1), logs()), 0);
  auto train = [&](const std::string& out, std::vector<std::string> extra) {
    return std::vector<std::string>{"--threads", "1", "train", "motion-adapter"} + kTinyModels +
           std::vector<std::string>{"--dataset",
                                    frozen,
                                    "--out",
                                    out,
                                    "--rank",
                                    "4",
                                    "--lr",
                                    "1e-3",
                                    "--warmup",
                                    "0",
                                    "--steps",
                                    "8",
                                    "--checkpoint-every",
                                    "1",
                                    "--device",
                                    "cpu"} +
           extra;
  };
  const std::string reference = path("reference.safetensors");
  std::string err;
  ASSERT_EQ(test::runToEnd(train(reference, {}), logs(), &err), 0) << err;

  std::mt19937 random(3);
  for (int probe = 0; probe < 3; ++probe) {
    const std::string out = path("killed" + std::to_string(probe) + ".safetensors");
    {
      CliProcess run(train(out, {}), logs());
      ASSERT_TRUE(run.waitForStderr("training", 60)) << run.err();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1200)(random)));
      run.signal(SIGKILL);
      ASSERT_NE(run.wait(10), -1);
    }
    const bool checkpointed = fs::exists(training::checkpointFileIn(out + ".checkpoints"));
    if (checkpointed) {
      // A fresh start would lose the run: refused, naming both ways on.
      EXPECT_EQ(test::runToEnd(train(out, {}), logs(), &err), 2) << err;
      EXPECT_NE(err.find("--resume"), std::string::npos) << err;
      EXPECT_NE(err.find("--overwrite"), std::string::npos) << err;
    }
    ASSERT_EQ(
        test::runToEnd(train(out, checkpointed ? std::vector<std::string>{"--resume"} : std::vector<std::string>{}),
                       logs(), &err),
        0)
        << err;
    EXPECT_EQ(tensorBytes(out), tensorBytes(reference)) << "probe " << probe;
    EXPECT_TRUE(temporaryFiles(temp_.path()).empty()) << temporaryFiles(temp_.path())[0];
  }

  // The output lost after the last step (deleted): --resume exports it again from the checkpoint.
  const std::string lost = path("killed0.safetensors");
  fs::remove(lost);
  ASSERT_EQ(test::runToEnd(train(lost, {"--resume"}), logs(), &err), 0) << err;
  EXPECT_EQ(tensorBytes(lost), tensorBytes(reference));
  // --overwrite starts afresh over an earlier run; the same settings give the same adapter.
  ASSERT_EQ(test::runToEnd(train(lost, {"--overwrite"}), logs(), &err), 0) << err;
  EXPECT_EQ(err.find("resuming"), std::string::npos) << err;
  EXPECT_EQ(tensorBytes(lost), tensorBytes(reference));
}

// Ctrl-C is honoured within 2 s on the toy world, mid-denoising, with exit 130 and no output;
// Ctrl-C while videos are written leaves only complete videos.
TEST_F(Reliability, CtrlCStopsAGenerationWithinTwoSecondsAndLeavesOnlyCompleteFiles) {
  const std::vector<std::string> toy = {"--threads",
                                        "1",
                                        "generate",
                                        "--base",
                                        toyWorld("base"),
                                        "--motion-module",
                                        toyWorld("motion_module"),
                                        "--prompt",
                                        "a red star bouncing on a gray background"};
  const std::vector<std::string> small = {"--width", "64", "--height", "64"};
  {
    CliProcess run(
        toy + small + std::vector<std::string>{"--frames", "16", "--steps", "200", "--out", path("long.mp4")}, logs());
    ASSERT_TRUE(run.waitForStderr("denoising", 60)) << run.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    run.signal(SIGINT);
    EXPECT_EQ(run.wait(10), 130) << run.err();
    EXPECT_LT(run.secondsWaited(), 2.0) << "Ctrl-C took " << run.secondsWaited() << " s";
    EXPECT_NE(run.err().find("cancelled"), std::string::npos) << run.err();
    EXPECT_FALSE(fs::exists(path("long.mp4")));
  }
  {
    // Inside one long UNet call (256x256, 16 frames: ~17 s per call on 2 cores): the check
    // between blocks and between attention slices still answers within 2 s.
    CliProcess run(toy + std::vector<std::string>{"--frames", "16", "--width", "256", "--height", "256", "--steps",
                                                  "20", "--out", path("wide.mp4")},
                   logs());
    ASSERT_TRUE(run.waitForStderr("denoising", 60)) << run.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    run.signal(SIGINT);
    EXPECT_EQ(run.wait(30), 130) << run.err();
    EXPECT_LT(run.secondsWaited(), 2.0) << "Ctrl-C inside a UNet call took " << run.secondsWaited() << " s";
    EXPECT_FALSE(fs::exists(path("wide.mp4")));
  }
  std::mt19937 random(8);
  for (int probe = 0; probe < 3; ++probe) {
    const std::string out = path("many" + std::to_string(probe) + ".mp4");
    CliProcess run(
        toy + small + std::vector<std::string>{"--frames", "8", "--steps", "2", "--videos", "3", "--out", out}, logs());
    ASSERT_TRUE(run.waitForStderr("decoding", 60)) << run.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(random)));
    run.signal(SIGINT);
    const int status = run.wait(10);
    EXPECT_TRUE(status == 130 || status == 0) << status << ": " << run.err();
    for (int v = 1; v <= 3; ++v) {
      const std::string file = path("many" + std::to_string(probe) + "-" + std::to_string(v) + ".mp4");
      if (fs::exists(file)) EXPECT_EQ(video::readVideo(file).frames.size(), 8u) << file;
    }
    EXPECT_TRUE(temporaryFiles(temp_.path()).empty()) << temporaryFiles(temp_.path())[0];
  }
}

// A request far beyond the machine is refused in under a second, before any allocation,
// naming what to lower; --force is the way past the estimate.
TEST_F(Reliability, AHugeRequestIsRefusedAtOnceWithMemoryUntouched) {
  CliProcess run(
      {"--threads", "1", "dataset", "frozen", "--out", path("huge"), "--base", fixture("sd15_tiny_diffusers"),
       "--prompt", "x", "--frames", "4096", "--width", "4096", "--height", "4096", "--device", "cpu"},
      logs());
  EXPECT_EQ(run.wait(30), 4) << run.err();
  EXPECT_LT(run.secondsWaited(), 1.0);
  EXPECT_LT(run.peakBytes(), 600L << 20) << "peak " << (run.peakBytes() >> 20) << " MB";
  EXPECT_NE(run.err().find("--frames"), std::string::npos) << run.err();
  EXPECT_NE(run.err().find("--force"), std::string::npos) << run.err();
  EXPECT_FALSE(fs::exists(path("huge")));

  CliProcess generation(std::vector<std::string>{"--threads", "1", "generate"} + kTinyModels +
                            std::vector<std::string>{"--prompt", "x", "--frames", "4096", "--width", "4096", "--height",
                                                     "4096", "--videos", "16", "--out", path("huge.mp4")},
                        logs());
  EXPECT_EQ(generation.wait(30), 4) << generation.err();
  EXPECT_LT(generation.secondsWaited(), 1.0);

  // Past the estimate with --force, an allocation that fails anyway (the address space limited
  // to 2.5 GB) is a one-line message and exit 4, never an abort. fp32: in bf16 (auto on some
  // CPUs) the UNet's activations are half as large and this request fits.
  CliProcess forced(
      std::vector<std::string>{"--threads", "1", "generate"} + kTinyModels +
          std::vector<std::string>{"--prompt", "x", "--frames", "16", "--width", "4096", "--height", "4096", "--steps",
                                   "1", "--dtype", "fp32", "--force", "--quiet", "--out", path("forced.mp4")},
      logs(), false, 2500L << 20);
  EXPECT_EQ(forced.wait(60), 4) << forced.err();
  const std::string message = forced.err();
  EXPECT_NE(message.find("out of memory"), std::string::npos) << message;
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;
  EXPECT_FALSE(fs::exists(path("forced.mp4")));
}

// Every kind of failure has its status and one line: 2 the command, 3 an input, 4 the machine.
TEST_F(Reliability, ExitStatusesSayWhoseProblemItIs) {
  std::string err;
  EXPECT_EQ(test::runToEnd({"generate", "--no-such-option"}, logs(), &err), 2) << err;
  EXPECT_EQ(test::runToEnd({"frobnicate"}, logs(), &err), 2) << err;

  // A prompt that is not UTF-8: refused before any model loads, not after the work.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(test::runToEnd(std::vector<std::string>{"generate"} + kTinyModels +
                               std::vector<std::string>{"--prompt", "caf\xe9", "--out", path("x.mp4")},
                           logs(), &err),
            2)
      << err;
  EXPECT_NE(err.find("UTF-8"), std::string::npos) << err;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);

  // Broken inputs: a model that is not one, a pipe, a device (neither may hang).
  temp_.write("garbage.safetensors", "this is not a model");
  EXPECT_EQ(test::runToEnd({"inspect", path("garbage.safetensors")}, logs(), &err), 3) << err;
  EXPECT_EQ(test::runToEnd({"generate", "--base", path("garbage.safetensors"), "--motion-module",
                            fixture("motion_adapter_tiny_v2_diffusers"), "--prompt", "x", "--out", path("x.mp4")},
                           logs(), &err),
            3)
      << err;
  EXPECT_NE(err.find("garbage.safetensors"), std::string::npos) << err;
  ASSERT_EQ(::mkfifo(path("pipe.safetensors").c_str(), 0644), 0);
  for (const std::string& odd : {path("pipe.safetensors"), std::string("/dev/zero")}) {
    CliProcess inspect({"inspect", odd}, logs());
    EXPECT_EQ(inspect.wait(5), 3) << odd << ": " << inspect.err();
    EXPECT_NE(inspect.err().find("not a regular file"), std::string::npos) << inspect.err();
  }

  // A motion module of other widths than the base's: its file is named.
  EXPECT_EQ(test::runToEnd({"--threads", "1", "generate", "--base", fixture("sd15_tiny_diffusers"), "--motion-module",
                            toyWorld("motion_module"), "--prompt", "x", "--frames", "4", "--width", "64", "--height",
                            "64", "--steps", "1", "--out", path("mismatch.mp4")},
                           logs(), &err),
            3)
      << err;
  EXPECT_NE(err.find("motion_module"), std::string::npos) << err;

  // A read-only output folder: refused before the work (root's power to write anywhere dropped).
  fs::create_directories(path("locked"));
  ::chmod(temp_.path().c_str(), 0755);
  ::chmod(path("locked").c_str(), 0555);
  CliProcess readOnly(std::vector<std::string>{"--threads", "1", "generate"} + kTinyModels +
                          std::vector<std::string>{"--prompt", "x", "--out", path("locked/x.mp4")},
                      logs(), /*likeAUser=*/true);
  EXPECT_EQ(readOnly.wait(30), 4) << readOnly.err();
  EXPECT_NE(readOnly.err().find("not writable"), std::string::npos) << readOnly.err();
  EXPECT_LT(readOnly.secondsWaited(), 2.0);
  ::chmod(path("locked").c_str(), 0755);
}

// What a killed writer left beside an output (".NAME.tmp-<pid>-...") goes with the next write of it.
TEST_F(Reliability, LeftoversOfAKilledRunAreRemovedByTheNextRun) {
  const std::string out = path("clip.mp4");
  const std::string leftover = path(".clip.mp4.tmp-999999-0-1");  // beyond pid_max: no such process
  temp_.write(".clip.mp4.tmp-999999-0-1", "half a video");
  std::string err;
  ASSERT_EQ(test::runToEnd(std::vector<std::string>{"--threads", "1", "generate"} + kTinyModels +
                               std::vector<std::string>{"--prompt", "x", "--frames", "4", "--width", "64", "--height",
                                                        "64", "--steps", "1", "--out", out},
                           logs(), &err),
            0)
      << err;
  EXPECT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(leftover));
}

}  // namespace
}  // namespace sm
