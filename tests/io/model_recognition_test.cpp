// Recognition on hand-made indexes: the rules that tell kinds, versions and
// namings apart, independent of the fixture files.
#include <gtest/gtest.h>

#include "core/io/model_recognition.h"
#include "core/util/error.h"
#include "tests/keylist.h"

namespace sm {
namespace {

io::StateDictIndex indexOf(std::initializer_list<std::pair<std::string, std::vector<int64_t>>> tensors) {
  io::StateDictIndex index;
  index.path = "in-memory.safetensors";
  for (const auto& [name, shape] : tensors) {
    io::TensorInfo t;
    t.name = name;
    t.shape = shape;
    index.add(t);
  }
  return index;
}

TEST(ModelRecognition, FullSizeMotionModulesByVersion) {
  for (const auto& [list, variant] :
       std::vector<std::pair<std::string, std::string>>{{"animatediff_v1_original_ckpt.txt", "v1"},
                                                        {"animatediff_v2_original_ckpt.txt", "v2"},
                                                        {"animatediff_v3_original_ckpt.txt", "v3"},
                                                        {"animatediff_v2_motionadapter_diffusers.txt", "v2"}}) {
    const auto info = io::recognizeWeights(test::readKeylist("keylists/" + list));
    EXPECT_EQ(info.kind, io::ModelKind::MotionModule) << list;
    EXPECT_EQ(info.variant, variant) << list;
  }
  EXPECT_EQ(io::recognizeWeights(test::readKeylist("keylists/animatediff_v2_original_ckpt.txt")).naming, "original");
}

TEST(ModelRecognition, FullSizeDiffusersUNet) {
  const auto info = io::recognizeWeights(test::readKeylist("keylists/sd15_unet_diffusers.txt"));
  EXPECT_EQ(info.kind, io::ModelKind::UNet);
  EXPECT_EQ(info.parameters, 859520964);
  ASSERT_EQ(info.components.size(), 1u);
  EXPECT_FALSE(info.components[0].keyCheck.has_value());  // core/models' job: tests/models/model_check_test.cpp
}

TEST(ModelRecognition, InpaintingAndSD2AreToldApart) {
  auto ckpt = test::readKeylist("keylists/sd15_unet_ldm.txt");
  io::StateDictIndex inpaint, sd2;
  for (auto t : ckpt.tensors()) {
    auto t2 = t;
    if (t.name == "model.diffusion_model.input_blocks.0.0.weight") t.shape = {320, 9, 3, 3};
    if (t2.name.find("attn2.to_k.weight") != std::string::npos ||
        t2.name.find("attn2.to_v.weight") != std::string::npos)
      t2.shape[1] = 1024;
    inpaint.add(t);
    sd2.add(t2);
  }
  EXPECT_EQ(io::recognizeWeights(ckpt).variant, "sd15");
  EXPECT_EQ(io::recognizeWeights(inpaint).variant, "sd15-inpainting");
  EXPECT_EQ(io::recognizeWeights(sd2).variant, "sd2");
}

TEST(ModelRecognition, LoRANamingsAndTargets) {
  auto kohya = indexOf({{"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", {4, 320, 1, 1}},
                        {"lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight", {320, 4, 1, 1}},
                        {"lora_unet_down_blocks_0_attentions_0_proj_in.alpha", {}}});
  auto info = io::recognizeWeights(kohya);
  EXPECT_EQ(info.kind, io::ModelKind::LoRA);
  EXPECT_EQ(info.naming, "kohya");
  EXPECT_EQ(info.variant, "unet");
  auto peft = indexOf({{"text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight", {8, 768}},
                       {"text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_B.weight", {768, 8}}});
  info = io::recognizeWeights(peft);
  EXPECT_EQ(info.naming, "peft");
  EXPECT_EQ(info.variant, "text-encoder");
  auto motion =
      indexOf({{"unet.down_blocks.0.motion_modules.0.transformer_blocks.0.attn1.to_q.lora_A.weight", {4, 320}}});
  EXPECT_EQ(io::recognizeWeights(motion).variant, "motion");
}

TEST(ModelRecognition, UnknownLayoutsAndEmptyFilesAreRefusedByName) {
  auto unknown = indexOf({{"encoder.layer.0.weight", {3, 3}}});
  try {
    io::recognizeWeights(unknown);
    FAIL() << "accepted";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("in-memory.safetensors"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("encoder.layer.0.weight"), std::string::npos);
  }
  EXPECT_THROW(io::recognizeWeights(indexOf({})), CheckpointError);
  EXPECT_THROW(io::recognizeModel("/nonexistent/model.safetensors"), CheckpointError);
}

}  // namespace
}  // namespace sm
