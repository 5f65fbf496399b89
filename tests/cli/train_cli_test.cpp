// `stillmoving train` as a user runs it: mistakes refused in one line before
// any model loads; the whole Still-Moving flow on the tiny models (frozen
// dataset -> Motion Adapter -> resume -> Spatial Adapters -> generate with both).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/io/safetensors.h"
#include "tests/cli/cli_run.h"
#include "tests/keylist.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s) { return "'" + s + "'"; }
std::string fixture(const std::string& name) { return quoted(test::dataPath("fixtures/" + name)); }
std::string tinyModels() {
  return " --base " + fixture("sd15_tiny_diffusers") + " --motion-module " +
         fixture("motion_adapter_tiny_v2_diffusers");
}
size_t countLines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

class TrainCli : public testing::Test {
 protected:
  test::TempDir temp_{"sm_train_cli"};
  std::string path(const std::string& name) const { return (temp_.path() / name).string(); }
};

TEST_F(TrainCli, MistakesAreOneLineAndExitTwoBeforeAnyModelLoads) {
  fs::create_directories(path("data"));
  const std::string motion = "--threads 1 train motion-adapter" + tinyModels() + " --dataset " + path("data");
  const std::string spatial = "--threads 1 train spatial-adapters" + tinyModels() + " --dataset " + path("data");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--threads 1 train", "train what?"},
      {"--threads 1 train sideways", "unknown training 'sideways'"},
      {motion, "--out is required"},
      {motion + " --out " + path("a.pt"), "written as .safetensors"},
      {motion + " --out " + path("nowhere/a.safetensors"), "does not exist"},
      {motion + " --out " + path("a.safetensors") + " --steps 0", "--steps must be"},
      {motion + " --out " + path("a.safetensors") + " --lr 5", "--lr must be"},
      {motion + " --out " + path("a.safetensors") + " --precision fp8", "--precision must be"},
      {motion + " --out " + path("a.safetensors") + " --prior " + path("data"), "is for train spatial-adapters"},
      {motion + " --out " + path("a.safetensors") + " --custom " + fixture("sd15_tiny_ldm.safetensors"),
       "train motion-adapter trains on the base model only"},
      {motion + " --out " + path("a.safetensors") + " --lora " + fixture("lora_tiny_peft.safetensors"),
       "drop the customized model (--custom) and LoRAs (--lora)"},
      {spatial + " --out " + path("s.safetensors"), "needs the customized model"},
      {spatial + " --custom " + fixture("sd15_tiny_ldm.safetensors") + " --out " + path("s.safetensors") +
           " --prior-ratio 0.5",
       "needs a prior-video dataset"},
      {spatial + " --custom " + fixture("sd15_tiny_ldm.safetensors") + " --out " + path("s.safetensors") +
           " --groups attention,everything",
       "unknown Spatial Adapter layer group 'everything'"},
      {"--threads 1 generate" + tinyModels() + " --prompt x --interpolate 0.5 --out " + path("x.gif"),
       "give --custom too"},
      {"--threads 1 generate" + tinyModels() + " --prompt x --merge-adapters --out " + path("x.gif"), "give them too"},
  };
  for (const auto& [args, message] : cases) {
    const CliRun run = runCli(args);
    EXPECT_EQ(run.status, 2) << args << ": " << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << args << ": " << run.err;
    EXPECT_EQ(countLines(run.err), 1u) << args << ": " << run.err;
  }
  const CliRun missing = runCli("--threads 1 train motion-adapter" + tinyModels() + " --dataset " + path("none") +
                                " --out " + path("a.safetensors"));
  EXPECT_EQ(missing.status, 3) << missing.err;  // a missing input
  EXPECT_NE(missing.err.find("no such file or folder"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(path("a.safetensors")));
  const CliRun help = runCli("train --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--train-all-spatial"), std::string::npos);
}

TEST_F(TrainCli, TheWholeStillMovingFlowOnTheTinyModels) {
  // 1. Frozen videos (sampled from the base here: the training mechanics, not the look, are under test).
  const std::string frozen = path("frozen");
  CliRun run = runCli("--threads 1 dataset frozen --out " + frozen + " --base " + fixture("sd15_tiny_diffusers") +
                      " --prompt 'a photo of sks toy' --samples 2 --width 64 --height 64 --frames 4 --steps 2 "
                      "--device cpu --quiet");
  ASSERT_EQ(run.status, 0) << run.err;

  // 2. The Motion Adapter: 2 steps, then resumed to 4; progress and loss on stderr.
  const std::string adapter = path("motion.safetensors");
  const std::string train = "--threads 1 train motion-adapter" + tinyModels() + " --dataset " + frozen + " --out " +
                            adapter + " --rank 4 --lr 1e-3 --warmup 0 --checkpoint-every 1 --device cpu";
  run = runCli(train + " --steps 2");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, adapter + "\n");
  EXPECT_NE(run.err.find("training 2/2"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("loss "), std::string::npos) << run.err;
  run = runCli(train + " --steps 4 --resume");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.err.find("resuming at step 2"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("4 steps (resumed at 2)"), std::string::npos) << run.err;
  run = runCli(train + " --steps 6 --resume --lr 2e-3");
  EXPECT_EQ(run.status, 2) << run.err;
  EXPECT_NE(run.err.find("other settings"), std::string::npos) << run.err;

  // 3. Spatial Adapters over the customized model (a LoRA: weights that differ from the base's), with
  //    the Motion Adapter and prior preservation on videos of the base text-to-video model.
  const std::string prior = path("prior");
  run = runCli("--threads 1 dataset prior --out " + prior + tinyModels() +
               " --generated --prompt 'a dog running' --count 2 --width 64 --height 64 --frames 4 --steps 2 "
               "--device cpu --quiet");
  ASSERT_EQ(run.status, 0) << run.err;
  const std::string customization = " --lora " + fixture("lora_tiny_kohya.safetensors");
  const std::string spatial = path("spatial.safetensors");
  run = runCli("--threads 1 train spatial-adapters" + tinyModels() + customization + " --dataset " + frozen +
               " --prior " + prior + " --prior-ratio 0.5 --motion-adapter " + adapter + " --out " + spatial +
               " --steps 4 --rank 2 --groups attention,resnets --device cpu");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.err.find("2 prior videos at ratio 0.5"), std::string::npos) << run.err;

  // 4. Generation with both, the slider at 1 and at -1, and merged.
  const std::string generate = "--threads 1 generate" + tinyModels() + customization + " --motion-adapter " + adapter +
                               " --spatial-adapters " + spatial +
                               " --prompt 'sks toy' --frames 4 --width 64 --height 64 --steps 2 --seed 1 --quiet";
  for (const std::string& extra :
       {std::string(" --motion-scale 1"), std::string(" --motion-scale -1 --merge-adapters")}) {
    const std::string out = path("video" + std::to_string(extra.size()) + ".gif");
    run = runCli(generate + extra + " --out " + out);
    ASSERT_EQ(run.status, 0) << extra << ": " << run.err;
    EXPECT_TRUE(fs::exists(out));
  }
  // The interpolation baseline between the base and the customized model.
  run = runCli("--threads 1 generate" + tinyModels() + " --custom " + fixture("sd15_tiny_ldm.safetensors") +
               " --interpolate 0.5 --prompt x --frames 4 --width 64 --height 64 --steps 1 --out " +
               path("interpolated.gif"));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.err.find("interpolated (lambda 0.5"), std::string::npos) << run.err;
  // Spatial Adapters over the wrong model (the base without the LoRA): refused, naming the file.
  run = runCli("--threads 1 generate" + tinyModels() + " --spatial-adapters " + spatial +
               " --prompt x --frames 4 --width 64 --height 64 --steps 1 --out " + path("wrong.gif"));
  EXPECT_EQ(run.status, 2) << run.err;
  EXPECT_NE(run.err.find(spatial), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--force"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(path("wrong.gif")));
  // --force uses it anyway, saying so.
  run = runCli("--threads 1 generate" + tinyModels() + " --spatial-adapters " + spatial +
               " --prompt x --frames 4 --width 64 --height 64 --steps 1 --force --out " + path("wrong.gif"));
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.err.find("used anyway (--force)"), std::string::npos) << run.err;
  EXPECT_TRUE(fs::exists(path("wrong.gif")));

  // The Motion Adapter over another base model (the tiny base with one UNet value changed): refused,
  // while over a customization of its own base (the LoRA above) it is the method's use.
  const fs::path otherBase = path("other_base");
  fs::copy(test::dataPath("fixtures/sd15_tiny_diffusers"), otherBase, fs::copy_options::recursive);
  const std::string unetFile = (otherBase / "unet/diffusion_pytorch_model.safetensors").string();
  {
    const io::StateDictIndex index = io::readSafetensors(unetFile);
    std::vector<std::vector<std::byte>> bytes;
    std::vector<io::TensorView> views;
    for (const io::TensorInfo& t : index.tensors()) {
      bytes.emplace_back(t.data, t.data + t.byteSize());
      views.push_back({t.name, t.dtype, t.shape, nullptr});
    }
    for (size_t i = 0; i < views.size(); ++i) {
      if (views[i].name.find("conv_in.weight") != std::string::npos) bytes[i][3] ^= std::byte{0x40};  // an exponent bit
      views[i].data = bytes[i].data();
    }
    io::writeSafetensors(unetFile, views, index.metadata);
  }
  run = runCli("--threads 1 generate --base " + otherBase.string() + " --motion-module " +
               fixture("motion_adapter_tiny_v2_diffusers") + " --motion-adapter " + adapter +
               " --prompt x --frames 4 --width 64 --height 64 --steps 1 --out " + path("other.gif"));
  EXPECT_EQ(run.status, 2) << run.err;
  EXPECT_NE(run.err.find("trained for another base model"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(path("other.gif")));
}

}  // namespace
}  // namespace sm
