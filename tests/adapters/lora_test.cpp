// LoRA files (kohya, PEFT, old diffusers), merging into diffusers-named
// weights, DreamBooth weight injection and interpolation. The targets are
// NamedWeights modules loaded from the tiny SD1.5 fixture, so these tests do
// not depend on the network classes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "core/adapters/lora_file.h"
#include "core/adapters/lora_merge.h"
#include "core/adapters/named_weights.h"
#include "core/adapters/weight_blend.h"
#include "core/engine/named_tensors.h"
#include "core/engine/tensor_loader.h"
#include "core/io/state_dict_reader.h"
#include "core/util/error.h"
#include "tests/keylist.h"

namespace sm {
namespace {

using adapters::NamedWeights;

const char* kUNetFile = "fixtures/sd15_tiny_diffusers/unet/diffusion_pytorch_model.safetensors";
const char* kTextFile = "fixtures/sd15_tiny_diffusers/text_encoder/model.safetensors";

struct Targets {
  NamedWeights unet;
  NamedWeights text;
  adapters::LoRATargetPaths paths;
};

Targets loadTargets(torch::Dtype dtype = torch::kFloat32) {
  const auto options = torch::TensorOptions().dtype(dtype);
  Targets t{adapters::namedWeightsFrom(io::readStateDict(test::dataPath(kUNetFile)), options),
            adapters::namedWeightsFrom(io::readStateDict(test::dataPath(kTextFile)), options),
            {}};
  t.paths[adapters::kLoRATargetUNet] = adapters::weightModulePaths(*t.unet);
  t.paths[adapters::kLoRATargetTextEncoder] = adapters::weightModulePaths(*t.text);
  return t;
}

adapters::LoRAFile readFixture(const std::string& naming, const adapters::LoRATargetPaths& paths,
                               const adapters::LoRAReadOptions& options = {}) {
  return adapters::readLoRA(io::readStateDict(test::dataPath("fixtures/lora_tiny_" + naming + ".safetensors")), paths,
                            options);
}

void mergeBoth(Targets& t, const adapters::LoRAFile& lora, float strength) {
  adapters::mergeLoRA(*t.unet, adapters::kLoRATargetUNet, lora.modules, strength);
  adapters::mergeLoRA(*t.text, adapters::kLoRATargetTextEncoder, lora.modules, strength);
}

float maxAbsDiff(const torch::nn::Module& a, const torch::nn::Module& b) {
  float worst = 0.0f;
  const auto pb = b.named_parameters();
  for (const auto& item : a.named_parameters()) {
    const torch::Tensor* other = pb.find(item.key());
    EXPECT_NE(other, nullptr) << item.key();
    if (!other) continue;
    worst = std::max(worst, (item.value().to(torch::kFloat32) - other->to(torch::kFloat32)).abs().max().item<float>());
  }
  return worst;
}

bool bitwiseEqual(const torch::nn::Module& a, const torch::nn::Module& b) {
  const auto pb = b.named_parameters();
  for (const auto& item : a.named_parameters()) {
    const torch::Tensor* other = pb.find(item.key());
    if (!other || !torch::equal(item.value(), *other)) return false;
  }
  return true;
}

// An in-memory index whose tensors live in `tensors` (kept alive by the owner).
io::StateDictIndex indexFromTensors(const engine::NamedTensors& named) {
  auto storage = std::make_shared<std::vector<torch::Tensor>>();
  io::StateDictIndex index;
  index.path = "<memory>";
  index.format = "safetensors";
  for (const auto& [name, tensor] : named) {
    torch::Tensor t = tensor.to(torch::kFloat32).contiguous();
    storage->push_back(t);
    io::TensorInfo info;
    info.name = name;
    info.dtype = io::DType::F32;
    info.shape = t.sizes().vec();
    info.data = static_cast<const std::byte*>(t.data_ptr());
    info.storageBytes = t.nbytes();
    index.add(std::move(info));
  }
  index.owner = storage;
  return index;
}

// The same tensors (and bytes) under other names.
io::StateDictIndex renamed(const io::StateDictIndex& source,
                           const std::function<std::string(const std::string&)>& rename) {
  io::StateDictIndex out = source.withoutTensors();
  for (auto t : source.tensors()) {
    t.name = rename(t.name);
    out.add(std::move(t));
  }
  return out;
}

TEST(LoRAFile, ReadsTheThreeNamings) {
  const Targets t = loadTargets();
  const auto kohya = readFixture("kohya", t.paths);
  const auto peft = readFixture("peft", t.paths);
  const auto old = readFixture("diffusers_old", t.paths);
  EXPECT_EQ(kohya.naming, "kohya");
  EXPECT_EQ(peft.naming, "peft");
  EXPECT_EQ(old.naming, "diffusers-old");
  // 16 transformers x 12 + 3 LoCon convs + 2 text layers x 6.
  EXPECT_EQ(kohya.modules.size(), 207u);
  EXPECT_EQ(peft.modules.size(), 207u);
  EXPECT_EQ(old.modules.size(), 16u * 8 + 2 * 4);
  EXPECT_EQ(kohya.forTarget("text_encoder").size(), 12u);
  for (const auto& m : kohya.modules) {
    EXPECT_EQ(m.rank, 4);
    const bool locon = m.modulePath.find(".resnets.") != std::string::npos;
    EXPECT_FLOAT_EQ(m.alpha, locon ? 1.0f : 2.0f) << m.key;
  }
  for (const auto& m : peft.modules) EXPECT_FLOAT_EQ(m.scale(), 1.0) << m.key;  // no alphas: alpha = r
  auto find = [](const adapters::LoRAFile& f, const std::string& path) {
    for (const auto& m : f.modules)
      if (m.modulePath == path) return true;
    return false;
  };
  EXPECT_TRUE(find(kohya, "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0"));
  EXPECT_TRUE(find(kohya, "text_model.encoder.layers.1.mlp.fc2"));
  EXPECT_TRUE(find(kohya, "up_blocks.3.resnets.2.conv1"));
  EXPECT_TRUE(find(old, "mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0"));
  EXPECT_TRUE(find(old, "text_model.encoder.layers.0.self_attn.out_proj"));
}

TEST(LoRA, TheThreeNamingsGiveTheSameDeltas) {
  Targets base = loadTargets();
  Targets viaKohya = loadTargets(), viaPeft = loadTargets(), viaOld = loadTargets(), viaPeftAttn = loadTargets();
  const auto kohya = readFixture("kohya", base.paths);
  const auto peft = readFixture("peft", base.paths);
  const auto old = readFixture("diffusers_old", base.paths);
  mergeBoth(viaKohya, kohya, 1.0f);
  mergeBoth(viaPeft, peft, 1.0f);
  mergeBoth(viaOld, old, 1.0f);
  // The old naming covers attention projections only: compare with PEFT's same subset.
  adapters::LoRAFile peftAttn = peft;
  std::erase_if(peftAttn.modules, [&](const adapters::LoRAModule& m) {
    return std::none_of(old.modules.begin(), old.modules.end(),
                        [&](const adapters::LoRAModule& o) { return o.modulePath == m.modulePath; });
  });
  ASSERT_EQ(peftAttn.modules.size(), old.modules.size());
  mergeBoth(viaPeftAttn, peftAttn, 1.0f);

  EXPECT_GT(maxAbsDiff(*viaKohya.unet, *base.unet), 1e-3f);  // it did change something
  EXPECT_GT(maxAbsDiff(*viaKohya.text, *base.text), 1e-3f);
  const float kohyaVsPeft =
      std::max(maxAbsDiff(*viaKohya.unet, *viaPeft.unet), maxAbsDiff(*viaKohya.text, *viaPeft.text));
  const float oldVsPeft =
      std::max(maxAbsDiff(*viaOld.unet, *viaPeftAttn.unet), maxAbsDiff(*viaOld.text, *viaPeftAttn.text));
  std::cout << "[ LoRA ] kohya vs peft max abs diff " << kohyaVsPeft << ", old vs peft " << oldVsPeft << "\n";
  EXPECT_LE(kohyaVsPeft, 1e-6f);
  EXPECT_LE(oldVsPeft, 1e-6f);
}

TEST(LoRA, MatchesDiffusersFusedWeights) {
  const std::string parityPath = test::dataPath("parity/lora.safetensors");
  const auto parity = io::readStateDict(parityPath);
  // The lora_scale diffusers fused with (0.7, tests/data/parity/README.md).
  const io::TensorInfo* scaleInfo = parity.find("lora_scale");
  ASSERT_NE(scaleInfo, nullptr);
  const float scale = engine::viewTensor(*scaleInfo, parity.owner).item<float>();
  EXPECT_FLOAT_EQ(scale, 0.7f);
  float worstOverall = 0.0f;
  for (const std::string naming : {"kohya", "peft", "diffusers_old"}) {
    Targets t = loadTargets();
    const auto lora = readFixture(naming, t.paths);
    mergeBoth(t, lora, scale);
    size_t compared = 0;
    float worst = 0.0f;
    for (const auto& [target, module] :
         {std::pair<std::string, NamedWeights>{"unet", t.unet}, {"text_encoder", t.text}}) {
      for (const auto& item : module->named_parameters()) {
        const io::TensorInfo* info = parity.find(naming + "/" + target + "/" + item.key());
        if (!info) continue;
        const torch::Tensor expected = engine::viewTensor(*info, parity.owner).to(torch::kFloat32);
        worst = std::max(worst, (item.value() - expected).abs().max().item<float>());
        ++compared;
      }
    }
    std::cout << "[ LoRA ] " << naming << " vs diffusers fuse_lora (scale " << scale << "): " << compared
              << " weights, max abs err " << worst << "\n";
    EXPECT_EQ(compared, naming == "diffusers_old" ? 6u : 11u) << naming;
    EXPECT_LE(worst, 1e-5f) << naming;
    worstOverall = std::max(worstOverall, worst);
  }
  std::cout << "[ LoRA ] max abs err vs diffusers over all files: " << worstOverall << "\n";
}

TEST(LoRA, StrengthZeroChangesNothing) {
  Targets base = loadTargets(), merged = loadTargets();
  mergeBoth(merged, readFixture("kohya", base.paths), 0.0f);
  EXPECT_TRUE(bitwiseEqual(*merged.unet, *base.unet));
  EXPECT_TRUE(bitwiseEqual(*merged.text, *base.text));
}

TEST(LoRA, MergeThenUnmergeRestores) {
  Targets base = loadTargets(), t = loadTargets();
  const auto lora = readFixture("kohya", base.paths);
  mergeBoth(t, lora, 0.8f);
  adapters::unmergeLoRA(*t.unet, "unet", lora.modules, 0.8f);
  adapters::unmergeLoRA(*t.text, "text_encoder", lora.modules, 0.8f);
  const float err = std::max(maxAbsDiff(*t.unet, *base.unet), maxAbsDiff(*t.text, *base.text));
  std::cout << "[ LoRA ] merge/unmerge round trip max abs err " << err << "\n";
  EXPECT_LE(err, 1e-6f);
}

TEST(LoRA, StrengthScalesTheDelta) {
  Targets base = loadTargets(), one = loadTargets(), half = loadTargets();
  const auto lora = readFixture("peft", base.paths);
  mergeBoth(one, lora, 1.0f);
  mergeBoth(half, lora, 0.5f);
  const auto name = "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight";
  const auto b = base.unet->named_parameters()[name];
  const auto d1 = one.unet->named_parameters()[name] - b;
  const auto dh = half.unet->named_parameters()[name] - b;
  EXPECT_TRUE(torch::allclose(dh * 2, d1, 1e-5, 1e-6));
}

TEST(LoRA, HalfPrecisionTargetsMergeThroughFloat32) {
  for (const auto dtype : {torch::kBFloat16, torch::kFloat16}) {
    Targets ref = loadTargets(), narrow = loadTargets(dtype);
    const auto lora = readFixture("kohya", ref.paths);
    mergeBoth(ref, lora, 1.0f);
    mergeBoth(narrow, lora, 1.0f);
    for (const auto& item : narrow.unet->named_parameters()) ASSERT_EQ(item.value().scalar_type(), dtype);
    const float tol = dtype == torch::kBFloat16 ? 2e-2f : 2e-3f;
    EXPECT_LE(maxAbsDiff(*narrow.unet, *ref.unet), tol);
    EXPECT_LE(maxAbsDiff(*narrow.text, *ref.text), tol);
  }
}

TEST(LoRA, ShapeMismatchThrowsShapeErrorNamingTheKey) {
  const Targets t = loadTargets();
  const auto lora = readFixture("kohya", t.paths);
  // A text encoder whose layer-0 q_proj is 48 wide instead of 32.
  NamedWeights wrong = adapters::namedWeightsFrom(
      io::readStateDict(test::dataPath(kTextFile)), torch::kFloat32,
      [](const std::string& n) { return n != "text_model.encoder.layers.0.self_attn.q_proj.weight"; });
  wrong->add("text_model.encoder.layers.0.self_attn.q_proj.weight", torch::zeros({32, 48}));
  const auto before = wrong->named_parameters()["text_model.encoder.layers.1.mlp.fc1.weight"].clone();
  try {
    adapters::mergeLoRA(*wrong, "text_encoder", lora.modules, 1.0f);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_EQ(e.key(), "lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight");
    EXPECT_EQ(e.expected(), (std::vector<int64_t>{4, 48}));
    EXPECT_EQ(e.got(), (std::vector<int64_t>{4, 32}));
  }
  // Checked before anything changes.
  EXPECT_TRUE(torch::equal(before, wrong->named_parameters()["text_model.encoder.layers.1.mlp.fc1.weight"]));
  // A LoRA whose down and up disagree on the rank.
  auto bad = indexFromTensors({{"unet.mid_block.attentions.0.proj_in.lora_A.weight", torch::zeros({4, 24, 1, 1})},
                               {"unet.mid_block.attentions.0.proj_in.lora_B.weight", torch::zeros({24, 3, 1, 1})}});
  EXPECT_THROW(adapters::readLoRA(bad, t.paths), ShapeError);
}

TEST(LoRA, ModuleTheTargetLacksIsACheckpointErrorOrASkip) {
  Targets t = loadTargets();
  auto paths = t.paths;
  paths["unet"].erase("mid_block.attentions.0.proj_out");
  try {
    readFixture("kohya", paths);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.key(), "lora_unet_mid_block_attentions_0_proj_out.lora_down.weight");
  }
  EXPECT_THROW(readFixture("peft", paths), CheckpointError);
  adapters::LoRAReadOptions skip;
  skip.skipUnknown = true;
  const auto lora = readFixture("kohya", paths, skip);
  EXPECT_EQ(lora.modules.size(), 206u);
  ASSERT_EQ(lora.skipped.size(), 1u);
  EXPECT_NE(lora.skipped[0].find("lora_unet_mid_block_attentions_0_proj_out"), std::string::npos);
  // mergeLoRA also refuses a module the network does not have.
  const auto full = readFixture("kohya", t.paths);
  NamedWeights partial = adapters::namedWeightsFrom(io::readStateDict(test::dataPath(kUNetFile)), torch::kFloat32,
                                                    [](const std::string& n) { return n.rfind("mid_block.", 0) != 0; });
  EXPECT_THROW(adapters::mergeLoRA(*partial, "unet", full.modules, 1.0f), CheckpointError);
  // Not LoRA tensors at all; kohya names without a module list.
  EXPECT_THROW(adapters::readLoRA(io::readStateDict(test::dataPath("fixtures/unknown_tensors.safetensors")), t.paths),
               CheckpointError);
  EXPECT_THROW(readFixture("kohya", {}), CheckpointError);
  // DoRA is refused by name.
  auto dora = indexFromTensors({{"lora_unet_mid_block_attentions_0_proj_in.dora_scale", torch::ones({24, 1})}});
  try {
    adapters::readLoRA(dora, t.paths);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("DoRA"), std::string::npos);
  }
}

TEST(LoRA, KohyaLdmBlockNamesMapToTheSameModules) {
  const Targets t = loadTargets();
  const auto kohyaIndex = io::readStateDict(test::dataPath("fixtures/lora_tiny_kohya.safetensors"));
  // A few diffusers block names as other trainers spell them in LDM naming.
  const std::vector<std::pair<std::string, std::string>> toLdm{
      {"lora_unet_down_blocks_1_attentions_0_", "lora_unet_input_blocks_4_1_"},
      {"lora_unet_down_blocks_2_attentions_1_", "lora_unet_input_blocks_8_1_"},
      {"lora_unet_mid_block_attentions_0_", "lora_unet_middle_block_1_"},
      {"lora_unet_up_blocks_1_attentions_2_", "lora_unet_output_blocks_5_1_"},
      {"lora_unet_up_blocks_3_attentions_0_", "lora_unet_output_blocks_9_1_"},
      {"lora_unet_down_blocks_0_resnets_0_conv1", "lora_unet_input_blocks_1_0_in_layers_2"},
      {"lora_unet_mid_block_resnets_0_conv1", "lora_unet_middle_block_0_in_layers_2"},
      {"lora_unet_up_blocks_3_resnets_2_conv1", "lora_unet_output_blocks_11_0_in_layers_2"},
  };
  const auto ldmIndex = renamed(kohyaIndex, [&](const std::string& name) {
    for (const auto& [from, to] : toLdm)
      if (name.rfind(from, 0) == 0) return to + name.substr(from.size());
    return name;
  });
  const auto diffusersNamed = adapters::readLoRA(kohyaIndex, t.paths);
  const auto ldmNamed = adapters::readLoRA(ldmIndex, t.paths);
  ASSERT_EQ(ldmNamed.modules.size(), diffusersNamed.modules.size());
  for (size_t i = 0; i < ldmNamed.modules.size(); ++i)
    EXPECT_EQ(ldmNamed.modules[i].modulePath, diffusersNamed.modules[i].modulePath) << ldmNamed.modules[i].key;
  // Down/upsamplers: `.0.op` and the upsampler slot after the attention (`.2.conv`) or resnet (`.1.conv`).
  auto samplers = indexFromTensors({
      {"lora_unet_input_blocks_3_0_op.lora_down.weight", torch::zeros({4, 8, 3, 3})},
      {"lora_unet_input_blocks_3_0_op.lora_up.weight", torch::zeros({8, 4, 1, 1})},
      {"lora_unet_output_blocks_5_2_conv.lora_down.weight", torch::zeros({4, 24, 3, 3})},
      {"lora_unet_output_blocks_5_2_conv.lora_up.weight", torch::zeros({24, 4, 1, 1})},
      {"lora_unet_output_blocks_2_1_conv.lora_down.weight", torch::zeros({4, 24, 3, 3})},
      {"lora_unet_output_blocks_2_1_conv.lora_up.weight", torch::zeros({24, 4, 1, 1})},
      {"lora_unet_output_blocks_3_0_skip_connection.lora_down.weight", torch::zeros({4, 48, 1, 1})},
      {"lora_unet_output_blocks_3_0_skip_connection.lora_up.weight", torch::zeros({24, 4, 1, 1})},
  });
  const auto s = adapters::readLoRA(samplers, t.paths);
  ASSERT_EQ(s.modules.size(), 4u);
  EXPECT_EQ(s.modules[0].modulePath, "down_blocks.0.downsamplers.0.conv");
  EXPECT_EQ(s.modules[1].modulePath, "up_blocks.1.upsamplers.0.conv");
  EXPECT_EQ(s.modules[2].modulePath, "up_blocks.0.upsamplers.0.conv");
  EXPECT_EQ(s.modules[3].modulePath, "up_blocks.1.resnets.0.conv_shortcut");
  // The layout read off the module paths is SD1.5's.
  const auto layout = adapters::ldmLayoutFromModulePaths(t.paths.at("unet"));
  const auto sd15 = adapters::sd15LdmLayout();
  EXPECT_EQ(layout.levels, sd15.levels);
  EXPECT_EQ(layout.layersPerBlock, sd15.layersPerBlock);
  EXPECT_EQ(layout.downHasAttention, sd15.downHasAttention);
  EXPECT_EQ(layout.upHasAttention, sd15.upHasAttention);
}

TEST(LoRA, OtherOldDiffusersSpellingsAndPeftMetadata) {
  const Targets t = loadTargets();
  const auto peftIndex = io::readStateDict(test::dataPath("fixtures/lora_tiny_peft.safetensors"));
  // `.lora.down/up` and `.lora_linear_layer.down/up` are lora_A/lora_B under other names.
  for (const std::string marker : {".lora.", ".lora_linear_layer."}) {
    const auto index = renamed(peftIndex, [&](const std::string& name) {
      std::string n = std::regex_replace(name, std::regex(R"(\.lora_A\.weight$)"), marker + "down.weight");
      return std::regex_replace(n, std::regex(R"(\.lora_B\.weight$)"), marker + "up.weight");
    });
    const auto lora = adapters::readLoRA(index, t.paths);
    EXPECT_EQ(lora.naming, "diffusers-old");
    EXPECT_EQ(lora.modules.size(), 207u);
  }
  // lora_alpha and alpha_pattern from the PEFT config diffusers writes.
  auto withConfig = peftIndex;
  withConfig.metadata["lora_adapter_metadata"] =
      R"({"unet.r": 4, "unet.lora_alpha": 8, "unet.alpha_pattern": {"mid_block.attentions.0.proj_in": 2},
          "text_encoder.r": 4, "text_encoder.lora_alpha": 4, "text_encoder.use_rslora": true})";
  const auto lora = adapters::readLoRA(withConfig, t.paths);
  for (const auto& m : lora.modules) {
    if (m.modulePath == "mid_block.attentions.0.proj_in")
      EXPECT_DOUBLE_EQ(m.scale(), 0.5);
    else
      EXPECT_DOUBLE_EQ(m.scale(), 2.0) << m.modulePath;  // unet 8 / 4; text rsLoRA 4 / sqrt(4)
  }
}

TEST(LoRA, NamedWeightsRejectsDuplicatesAndEmptySegments) {
  NamedWeights w;
  w->add("a.b.weight", torch::zeros({2}));
  w->add("a.c.weight", torch::zeros({2}));
  EXPECT_THROW(w->add("a.b.weight", torch::zeros({2})), ConfigError);
  EXPECT_THROW(w->add("a..weight", torch::zeros({2})), ConfigError);
  EXPECT_EQ(w->named_parameters().size(), 2u);
  EXPECT_EQ(adapters::weightModulePaths(*w), (std::unordered_set<std::string>{"a.b", "a.c"}));
}

// ---------------------------------------------------------------------------
// DreamBooth injection and interpolation

struct BlendFixture {
  NamedWeights base;                                      ///< UNet weights + motion modules
  io::StateDictIndex customized;                          ///< changed UNet weights, other motion weights, extras
  std::unordered_map<std::string, torch::Tensor> custom;  ///< the customized values by name
};

BlendFixture makeBlendFixture() {
  const auto unet = io::readStateDict(test::dataPath(kUNetFile));
  const auto motion =
      io::readStateDict(test::dataPath("fixtures/motion_adapter_tiny_v2_diffusers/"
                                       "diffusion_pytorch_model.safetensors"));
  BlendFixture f{adapters::namedWeightsFrom(unet, torch::kFloat32), {}, {}};
  size_t motionCount = 0;
  for (const auto& t : motion.tensors())
    if (t.name.find(".motion_modules.") != std::string::npos && t.name.find("pos_embed") == std::string::npos) {
      f.base->add(t.name, engine::loadTensor(t, motion.owner, torch::kFloat32));
      ++motionCount;
    }
  EXPECT_GT(motionCount, 0u);
  torch::manual_seed(7);
  engine::NamedTensors named;
  for (const auto& item : f.base->named_parameters()) {
    if (item.key() == "conv_out.bias") continue;  // left out: reported missing
    torch::Tensor v = item.value() + torch::randn_like(item.value());
    if (item.key() == "conv_in.weight") v = torch::randn({8, 3, 3, 3});  // wrong shape: kept
    named.emplace_back(item.key(), v);
  }
  named.emplace_back("some.extra.tensor", torch::ones({3}));
  f.customized = indexFromTensors(named);
  for (const auto& [name, v] : named) f.custom[name] = v;
  return f;
}

TEST(InjectCustomizedWeights, ReplacesSpatialWeightsAndKeepsMotionModules) {
  BlendFixture f = makeBlendFixture();
  std::unordered_map<std::string, torch::Tensor> before;
  for (const auto& item : f.base->named_parameters()) before[item.key()] = item.value().clone();
  const auto report = adapters::injectCustomizedWeights(*f.base, f.customized);
  size_t motion = 0;
  for (const auto& item : f.base->named_parameters()) {
    const std::string& name = item.key();
    if (adapters::isMotionModuleParameter(name)) {
      ++motion;
      EXPECT_TRUE(torch::equal(item.value(), before.at(name))) << name;
    } else if (name == "conv_out.bias" || name == "conv_in.weight") {
      EXPECT_TRUE(torch::equal(item.value(), before.at(name))) << name;
    } else {
      EXPECT_TRUE(torch::equal(item.value(), f.custom.at(name))) << name;
    }
  }
  EXPECT_EQ(report.motionKept, motion);
  EXPECT_EQ(report.motionInFile.size(), motion);
  EXPECT_EQ(report.replaced, f.base->named_parameters().size() - motion - 2);
  EXPECT_EQ(report.missing, std::vector<std::string>{"conv_out.bias"});
  ASSERT_EQ(report.shapeMismatch.size(), 1u);
  EXPECT_EQ(report.shapeMismatch[0].rfind("conv_in.weight", 0), 0u);
  EXPECT_EQ(report.unknown, std::vector<std::string>{"some.extra.tensor"});
}

TEST(InjectCustomizedWeights, ConvertsToTheParameterDtype) {
  BlendFixture f = makeBlendFixture();
  NamedWeights half = adapters::namedWeightsFrom(io::readStateDict(test::dataPath(kUNetFile)), torch::kBFloat16);
  adapters::injectCustomizedWeights(*half, f.customized);
  const auto& w = half->named_parameters()["down_blocks.0.resnets.0.conv1.weight"];
  EXPECT_EQ(w.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(w, f.custom.at("down_blocks.0.resnets.0.conv1.weight").to(torch::kBFloat16)));
}

TEST(InterpolateWeights, EndpointsAreExactAndHalfwayIsTheAverage) {
  BlendFixture f0 = makeBlendFixture(), f1 = makeBlendFixture(), fh = makeBlendFixture();
  std::unordered_map<std::string, torch::Tensor> base;
  for (const auto& item : f0.base->named_parameters()) base[item.key()] = item.value().clone();
  adapters::interpolateWeights(*f0.base, f0.customized, 0.0f);
  adapters::interpolateWeights(*f1.base, f1.customized, 1.0f);
  const auto report = adapters::interpolateWeights(*fh.base, fh.customized, 0.5f);
  EXPECT_GT(report.replaced, 0u);
  for (const auto& item : f0.base->named_parameters()) EXPECT_TRUE(torch::equal(item.value(), base.at(item.key())));
  const auto p1 = f1.base->named_parameters();
  const auto ph = fh.base->named_parameters();
  for (const auto& [name, b] : base) {
    const bool blended =
        !adapters::isMotionModuleParameter(name) && name != "conv_out.bias" && name != "conv_in.weight";
    if (!blended) {
      EXPECT_TRUE(torch::equal(p1[name], b)) << name;
      EXPECT_TRUE(torch::equal(ph[name], b)) << name;
      continue;
    }
    const torch::Tensor& c = f1.custom.at(name);
    EXPECT_TRUE(torch::equal(p1[name], c)) << name;
    EXPECT_LE((ph[name] - (b + c) / 2).abs().max().item<float>(), 1e-6f) << name;
  }
  EXPECT_THROW(adapters::interpolateWeights(*fh.base, fh.customized, std::nanf("")), ConfigError);
}

}  // namespace
}  // namespace sm
