// Training checkpoints: round trip, exact resume with torch::optim::AdamW,
// clear errors (the older format refused), and a writer killed mid-save that
// leaves the previous checkpoint loadable.
#include "core/training/training_checkpoint.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/engine/tensor_writer.h"
#include "core/training/adamw_state.h"
#include "core/training/lr_schedule.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/temp_dir.h"

namespace sm::training {
namespace {

std::set<std::string> filesIn(const std::filesystem::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.insert(entry.path().filename().string());
  return names;
}

TrainingCheckpoint sampleCheckpoint(int64_t step) {
  auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(step));
  TrainingCheckpoint c;
  c.step = step;
  c.seed = 1234567890123ULL;
  c.settingsJson = R"({"rank":4,"lr":0.0001})";
  c.resumeJson = R"({"data_cursor":17})";
  c.trainable = {{"down.lora_A", torch::randn({4, 8}, gen)},
                 {"down.lora_B", torch::randn({8, 4}, gen).to(torch::kBFloat16)}};
  c.optimizerOptionsJson = R"({"lr":0.0001,"amsgrad":false})";
  c.optimizer = {{"down.lora_A.step", torch::tensor(step, torch::kLong)},
                 {"down.lora_A.exp_avg", torch::randn({4, 8}, gen)}};
  c.generators = {{"data", gen.get_state()}};
  return c;
}

void expectSameTensors(const engine::NamedTensors& a, const engine::NamedTensors& b) {
  ASSERT_EQ(a.size(), b.size());
  std::map<std::string, torch::Tensor> byName(b.begin(), b.end());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(byName.count(name)) << name;
    EXPECT_EQ(byName[name].scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(byName[name], t)) << name;
  }
}

TEST(TrainingCheckpoint, RoundTrip) {
  test::TempDir dir("sm_training_checkpoint");
  const std::string path = dir.file("run.safetensors");
  const TrainingCheckpoint saved = sampleCheckpoint(30);
  saveTrainingCheckpoint(path, saved);
  const TrainingCheckpoint loaded = loadTrainingCheckpoint(path);
  EXPECT_EQ(loaded.step, 30);
  EXPECT_EQ(loaded.seed, saved.seed);
  EXPECT_EQ(loaded.settingsJson, saved.settingsJson);
  EXPECT_EQ(loaded.resumeJson, saved.resumeJson);
  EXPECT_EQ(loaded.optimizerOptionsJson, saved.optimizerOptionsJson);
  EXPECT_EQ(loaded.path, path);
  expectSameTensors(loaded.trainable, saved.trainable);
  expectSameTensors(loaded.optimizer, saved.optimizer);
  expectSameTensors(loaded.generators, saved.generators);
  // A restored generator continues the sequence.
  auto original = at::detail::createCPUGenerator(0);
  original.set_state(saved.generators[0].second);
  auto restored = at::detail::createCPUGenerator(0);
  restored.set_state(loaded.generators[0].second);
  EXPECT_TRUE(torch::equal(torch::randn({5}, original), torch::randn({5}, restored)));
  EXPECT_EQ(filesIn(dir.path()), std::set<std::string>{"run.safetensors"});
}

TEST(TrainingCheckpoint, ResumeContinuesExactly) {
  test::TempDir dir("sm_training_resume");
  const std::string path = dir.file("run.safetensors");
  const auto target = torch::randn({6, 3}, at::detail::createCPUGenerator(4));
  auto trainSteps = [&](const torch::Tensor& w, torch::optim::AdamW& optimizer, int first, int steps) {
    for (int i = first; i < first + steps; ++i) {
      optimizer.zero_grad();
      (w - target).pow(2).sum().backward();
      setLearningRate(optimizer, warmupConstantLR(1e-2, i, 3));
      optimizer.step();
    }
  };
  auto w = torch::zeros({6, 3}).requires_grad_();
  torch::optim::AdamW optimizer({w}, torch::optim::AdamWOptions(1e-2));
  trainSteps(w, optimizer, 0, 4);
  TrainingCheckpoint c;
  c.step = 4;
  c.trainable = {{"w", w}};
  c.optimizer = adamWState(optimizer, c.trainable);
  c.optimizerOptionsJson = adamWOptionsJson(optimizer);
  saveTrainingCheckpoint(path, c);
  trainSteps(w, optimizer, 4, 5);

  const TrainingCheckpoint loaded = loadTrainingCheckpoint(path);
  auto resumed = torch::ones({6, 3}).requires_grad_();
  torch::optim::AdamW again({resumed}, torch::optim::AdamWOptions(0.5));
  restoreTrainable(loaded, {{"w", resumed}});
  loadAdamWState(again, {{"w", resumed}}, loaded.optimizer, loaded.optimizerOptionsJson);
  EXPECT_EQ(loaded.step, 4);
  trainSteps(resumed, again, 4, 5);
  EXPECT_TRUE(torch::equal(resumed, w));
}

TEST(TrainingCheckpoint, ErrorsNameTheFileAndTheProblem) {
  test::TempDir dir("sm_training_errors");
  const std::string foreign = dir.file("lora.safetensors");
  engine::writeTensors(foreign, {{"x", torch::zeros({2})}}, {{"format", "pt"}});
  try {
    loadTrainingCheckpoint(foreign);
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.path(), foreign);
    EXPECT_NE(std::string(e.what()).find("not a Still-Moving training checkpoint"), std::string::npos) << e.what();
  }
  EXPECT_THROW(loadTrainingCheckpoint(dir.file("missing.safetensors")), CheckpointError);

  auto writeVersion = [&](const std::string& file, const std::string& version) {
    engine::writeTensors(file, {{"adapter.w", torch::zeros({2})}},
                         {{"format", kTrainingCheckpointFormat},
                          {"format_version", version},
                          {"step", "1"},
                          {"seed", "0"},
                          {"settings", "{}"},
                          {"resume", "{}"},
                          {"optimizer", "{}"}});
  };
  const std::string newer = dir.file("newer.safetensors");
  writeVersion(newer, "4");
  try {
    loadTrainingCheckpoint(newer);
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("version 4 is not supported"), std::string::npos) << e.what();
  }
  // Version 2 carried no checksum: it still loads.
  const std::string version2 = dir.file("version2.safetensors");
  writeVersion(version2, "2");
  EXPECT_EQ(loadTrainingCheckpoint(version2).step, 1);
  // Version 1 held the hand-written optimizer's state: refused, saying what to do.
  const std::string older = dir.file("older.safetensors");
  writeVersion(older, "1");
  try {
    loadTrainingCheckpoint(older);
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.path(), older);
    EXPECT_EQ(e.key(), "format_version");
    EXPECT_NE(std::string(e.what()).find("start the training again without resuming"), std::string::npos) << e.what();
  }
  // Version 2 without the optimizer's options is damaged.
  const std::string noOptions = dir.file("no-options.safetensors");
  engine::writeTensors(noOptions, {{"adapter.w", torch::zeros({2})}},
                       {{"format", kTrainingCheckpointFormat},
                        {"format_version", "2"},
                        {"step", "1"},
                        {"seed", "0"},
                        {"settings", "{}"},
                        {"resume", "{}"}});
  try {
    loadTrainingCheckpoint(noOptions);
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.key(), "optimizer");
  }

  const std::string path = dir.file("run.safetensors");
  saveTrainingCheckpoint(path, sampleCheckpoint(3));
  const TrainingCheckpoint loaded = loadTrainingCheckpoint(path);
  auto wrongShape = torch::zeros({4, 9});
  try {
    restoreTrainable(loaded, {{"down.lora_A", wrongShape}});
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.key(), "adapter.down.lora_A");
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(restoreTrainable(loaded, {{"up.lora_A", wrongShape}}), CheckpointError);
  EXPECT_TRUE(torch::equal(wrongShape, torch::zeros({4, 9})));  // nothing copied

  TrainingCheckpoint bad = sampleCheckpoint(1);
  bad.settingsJson = "not json";
  EXPECT_THROW(saveTrainingCheckpoint(path, bad), ConfigError);
  EXPECT_EQ(loadTrainingCheckpoint(path).step, 3);  // the old file is untouched
}

// A flipped bit anywhere a resume looks is noticed (checksum), and every number is
// bounded: a step beyond an int is damage, not progress.
TEST(TrainingCheckpoint, ABitFlipOrANumberOutOfRangeIsRefusedNotLoaded) {
  test::TempDir dir("sm_training_damage");
  const std::string path = dir.file("run.safetensors");
  saveTrainingCheckpoint(path, sampleCheckpoint(3));
  const std::string good = test::readFile(path);
  ASSERT_EQ(loadTrainingCheckpoint(path).step, 3);
  size_t header = 0;  // safetensors: an 8-byte little-endian header length, the header, the data
  for (int i = 7; i >= 0; --i) header = (header << 8) | static_cast<unsigned char>(good[static_cast<size_t>(i)]);
  header += 8;
  // Bits in the tensor bytes (several places), and a digit of the seed in the metadata.
  std::vector<size_t> places = {header, header + 17, good.size() - 1, (header + good.size()) / 2};
  const size_t seed = good.find("1234567890123");
  ASSERT_NE(seed, std::string::npos);
  places.push_back(seed + 5);
  for (size_t place : places) {
    std::string damaged = good;
    damaged[place] = static_cast<char>(damaged[place] ^ (place == seed + 5 ? 0x01 : 0x10));  // '6' -> '7' in the seed
    util::writeFileAtomically(path, damaged);
    try {
      loadTrainingCheckpoint(path);
      FAIL() << "a flip at byte " << place << " of " << good.size() << " loaded";
    } catch (const CheckpointError& e) {
      EXPECT_EQ(e.key(), "checksum") << e.what();
      EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
    }
  }

  engine::writeTensors(path, {{"adapter.w", torch::zeros({2})}},
                       {{"format", kTrainingCheckpointFormat},
                        {"format_version", "2"},
                        {"step", "3000000000"},
                        {"seed", "0"},
                        {"settings", "{}"},
                        {"resume", "{}"},
                        {"optimizer", "{}"}});
  try {
    loadTrainingCheckpoint(path);
    FAIL() << "a step beyond an int loaded";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.key(), "step");
  }
  engine::writeTensors(path, {{"adapter.w", torch::zeros({2})}},
                       {{"format", kTrainingCheckpointFormat},
                        {"format_version", "2"},
                        {"step", "1"},
                        {"seed", "0"},
                        {"settings", "{}"},
                        {"resume", R"({"loss_history": [0.5, null]})"},
                        {"optimizer", "{}"}});
  EXPECT_THROW(loadTrainingCheckpoint(path), CheckpointError);  // a null loss, and more losses than steps
}

// The killed writer's side: it stops inside write() once the temporary file
// reaches the size limit (SIGXFSZ), tells the parent, and waits to be killed.
int gReadyPipe = -1;
void pauseAtFileSizeLimit(int) {
  const char byte = 1;
  (void)!::write(gReadyPipe, &byte, 1);
  for (;;) ::pause();
}

TEST(TrainingCheckpoint, WriterKilledMidSaveLeavesThePreviousCheckpoint) {
  test::TempDir dir("sm_training_kill");
  const std::string path = dir.file("run.safetensors");
  saveTrainingCheckpoint(path, sampleCheckpoint(100));
  TrainingCheckpoint big = sampleCheckpoint(200);
  big.trainable.emplace_back("big", torch::randn({1 << 21}));  // 8 MB, well past the 1 MB limit below

  int pipeFds[2];
  ASSERT_EQ(::pipe(pipeFds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only async-signal-safe calls and the save itself; no gtest in the child.
    ::close(pipeFds[0]);
    gReadyPipe = pipeFds[1];
    struct sigaction action {};
    action.sa_handler = pauseAtFileSizeLimit;
    ::sigaction(SIGXFSZ, &action, nullptr);
    const rlimit limit{1 << 20, 1 << 20};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      saveTrainingCheckpoint(path, big);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(2);  // the save must never get this far
  }
  ::close(pipeFds[1]);
  char byte = 0;
  const ssize_t got = ::read(pipeFds[0], &byte, 1);
  ::close(pipeFds[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_EQ(got, 1) << "the writer finished instead of stopping mid-write (exit status " << status << ")";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  // The old checkpoint is intact; the only other file is the hidden temporary one.
  const TrainingCheckpoint old = loadTrainingCheckpoint(path);
  EXPECT_EQ(old.step, 100);
  expectSameTensors(old.trainable, sampleCheckpoint(100).trainable);
  const std::string tempPrefix = std::filesystem::path(util::tempFilePrefix(path)).filename().string();
  const auto files = filesIn(dir.path());
  ASSERT_EQ(files.size(), 2u);
  for (const auto& name : files) {
    if (name == "run.safetensors") continue;
    EXPECT_EQ(name.rfind(tempPrefix, 0), 0u) << name;
    EXPECT_EQ(name.find(".tmp-" + std::to_string(child) + "-"), tempPrefix.size() - 5) << name;
    EXPECT_GE(std::filesystem::file_size(dir.path() / name), 1u << 20) << "the writer stopped early";
    EXPECT_FALSE(name.size() >= 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0) << name;
  }

  // The next save removes the dead writer's leftover.
  saveTrainingCheckpoint(path, sampleCheckpoint(300));
  EXPECT_EQ(filesIn(dir.path()), std::set<std::string>{"run.safetensors"});
  EXPECT_EQ(loadTrainingCheckpoint(path).step, 300);
}

TEST(AtomicFile, RemoveStaleTempFilesKeepsLiveWritersAndOtherFiles) {
  test::TempDir dir("sm_stale_temps");
  const std::string path = dir.file("model.safetensors");
  const std::string prefix = util::tempFilePrefix(path);
  // A pid that surely is dead: a child that has exited and been reaped.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const std::string deadName = std::filesystem::path(prefix).filename().string() + std::to_string(dead) + "-0-42";
  const std::string mine = std::filesystem::path(prefix).filename().string() + std::to_string(::getpid()) + "-3-7";
  const std::string init = std::filesystem::path(prefix).filename().string() + "1-0-1";  // pid 1 is alive
  const std::string odd = std::filesystem::path(prefix).filename().string() + std::to_string(dead) + "-x-1";
  const std::string other = ".other.safetensors.tmp-" + std::to_string(dead) + "-0-1";
  for (const auto& name : {deadName, mine, init, odd, other, std::string("model.safetensors")}) dir.write(name, "x");
  EXPECT_EQ(util::removeStaleTempFiles(path), 1u);
  EXPECT_EQ(filesIn(dir.path()), (std::set<std::string>{mine, init, odd, other, "model.safetensors"}));
  EXPECT_EQ(util::removeStaleTempFiles(dir.file("absent/model.safetensors")), 0u);
}

}  // namespace
}  // namespace sm::training
