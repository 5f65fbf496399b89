#include "core/adapters/lora_file.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <unordered_map>

#include "core/engine/tensor_loader.h"
#include "core/util/error.h"

namespace sm::adapters {
namespace {

enum class Role { Down, Up, UpBias, Alpha };
enum class Naming { Kohya, Peft, DiffusersOld, None };

struct ParsedKey {
  std::string stem;
  Role role = Role::Down;
  Naming naming = Naming::None;
};

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool startsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

std::string underscored(std::string path) {
  for (char& c : path)
    if (c == '.') c = '_';
  return path;
}

// Suffixes of the tensors of one low-rank pair, longest spellings first.
// ref: ARCHITECTURE_FACTS.md §7.1 (kohya), §7.2 (PEFT and older diffusers).
struct SuffixRule {
  const char* suffix;
  Role role;
  Naming naming;
};
constexpr SuffixRule kSuffixes[] = {
    {".lora_down.weight", Role::Down, Naming::Kohya},
    {".lora_up.weight", Role::Up, Naming::Kohya},
    {".lora_A.weight", Role::Down, Naming::Peft},
    {".lora_B.weight", Role::Up, Naming::Peft},
    {".lora_B.bias", Role::UpBias, Naming::Peft},
    {".lora_linear_layer.down.weight", Role::Down, Naming::DiffusersOld},
    {".lora_linear_layer.up.weight", Role::Up, Naming::DiffusersOld},
    {".lora.down.weight", Role::Down, Naming::DiffusersOld},
    {".lora.up.weight", Role::Up, Naming::DiffusersOld},
    {".down.weight", Role::Down, Naming::DiffusersOld},  // processor.to_q_lora.down.weight
    {".up.weight", Role::Up, Naming::DiffusersOld},
    {".alpha", Role::Alpha, Naming::None},
};

// Tensor suffixes of LoRA variants we do not merge, with their names.
constexpr std::pair<const char*, const char*> kUnsupported[] = {
    {".dora_scale", "DoRA"}, {".lora_magnitude_vector", "DoRA"}, {".hada_", "LoHa"},
    {".lokr_", "LoKr"},      {".lora_mid.", "LoCon (Tucker)"},
};

std::optional<ParsedKey> parseKey(const std::string& name) {
  for (const auto& rule : kSuffixes) {
    if (!endsWith(name, rule.suffix)) continue;
    ParsedKey parsed{name.substr(0, name.size() - std::strlen(rule.suffix)), rule.role, rule.naming};
    // Plain ".down.weight" is only the old processor naming, `..._lora.down.weight`.
    if (std::strcmp(rule.suffix, ".down.weight") == 0 || std::strcmp(rule.suffix, ".up.weight") == 0)
      if (!endsWith(parsed.stem, "_lora")) return std::nullopt;
    return parsed;
  }
  return std::nullopt;
}

const char* unsupportedKind(const std::string& name) {
  for (const auto& [marker, kind] : kUnsupported)
    if (name.find(marker) != std::string::npos) return kind;
  if (endsWith(name, ".diff") || endsWith(name, ".diff_b")) return "full-weight difference";
  return nullptr;
}

struct Pending {
  const io::TensorInfo* down = nullptr;
  const io::TensorInfo* up = nullptr;
  const io::TensorInfo* upBias = nullptr;
  const io::TensorInfo* alpha = nullptr;
  Naming naming = Naming::None;
};

// PEFT adapter config for one target, from __metadata__["lora_adapter_metadata"].
struct PeftConfig {
  std::optional<double> loraAlpha;
  std::vector<std::pair<std::string, double>> alphaPattern;
  bool useRsLoRA = false;
};

std::map<std::string, PeftConfig> parsePeftMetadata(const io::StateDictIndex& index) {
  std::map<std::string, PeftConfig> configs;
  auto it = index.metadata.find("lora_adapter_metadata");
  if (it == index.metadata.end()) return configs;
  nlohmann::json json = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) throw CheckpointError(index.path, "lora_adapter_metadata", "is not a JSON object");
  // Pipeline files prefix each field with the component ("unet.lora_alpha");
  // files saved from one model do not (those apply to every target).
  auto field = [&](const std::string& target, const std::string& name) -> const nlohmann::json* {
    for (const std::string& key : {target + "." + name, name}) {
      auto f = json.find(key);
      if (f != json.end() && !f->is_null()) return &*f;
    }
    return nullptr;
  };
  for (const std::string target : {kLoRATargetUNet, kLoRATargetTextEncoder}) {
    PeftConfig config;
    if (const auto* a = field(target, "lora_alpha"); a && a->is_number()) config.loraAlpha = a->get<double>();
    if (const auto* p = field(target, "alpha_pattern"); p && p->is_object())
      for (const auto& [pattern, value] : p->items())
        if (value.is_number()) config.alphaPattern.emplace_back(pattern, value.get<double>());
    if (const auto* r = field(target, "use_rslora"); r && r->is_boolean()) config.useRsLoRA = r->get<bool>();
    configs[target] = std::move(config);
  }
  return configs;
}

// PEFT matches pattern keys against the end of the module path at a dot boundary.
// ref: peft/utils/other.py get_pattern_key (peft 0.17).
bool patternMatches(const std::string& pattern, const std::string& modulePath) {
  try {
    return std::regex_match(modulePath, std::regex("(.*\\.)?(" + pattern + ")"));
  } catch (const std::regex_error&) {
    return modulePath == pattern || endsWith(modulePath, "." + pattern);
  }
}

float readScalar(const io::TensorInfo& info, const std::shared_ptr<const void>& owner) {
  if (info.numel() != 1) throw ShapeError(info.name, {}, info.shape);
  return engine::viewTensor(info, owner).to(torch::kFloat32).reshape({}).item<float>();
}

// Old diffusers attention-processor names: `<attn>.processor.to_q_lora` (UNet),
// `<self_attn>.to_q_lora` (text encoder). ref: ARCHITECTURE_FACTS.md §7.2.
std::string oldProcessorPath(const std::string& target, std::string rest) {
  rest.resize(rest.size() - std::strlen("_lora"));
  const size_t dot = rest.rfind('.');
  std::string parent = dot == std::string::npos ? "" : rest.substr(0, dot);
  const std::string leaf = rest.substr(dot == std::string::npos ? 0 : dot + 1);
  if (endsWith(parent, ".processor")) parent.resize(parent.size() - std::strlen(".processor"));
  std::string module = leaf;
  if (target == kLoRATargetUNet) {
    if (leaf == "to_out") module = "to_out.0";
  } else {
    static const std::map<std::string, std::string> kText{
        {"to_q", "q_proj"}, {"to_k", "k_proj"}, {"to_v", "v_proj"}, {"to_out", "out_proj"}};
    if (auto it = kText.find(leaf); it != kText.end()) module = it->second;
  }
  return parent.empty() ? module : parent + "." + module;
}

class Resolver {
 public:
  Resolver(const LoRATargetPaths& targets, const LoRAReadOptions& options) : targets_(targets), options_(options) {}

  /// (target, module path), or nullopt when the name maps to no module.
  std::optional<std::pair<std::string, std::string>> resolve(const std::string& stem, Naming naming, std::string& why) {
    if (startsWith(stem, "lora_unet_")) return kohya(kLoRATargetUNet, stem.substr(10), why);
    if (startsWith(stem, "lora_te_")) return kohya(kLoRATargetTextEncoder, stem.substr(8), why);
    if (startsWith(stem, "lora_te1_") || startsWith(stem, "lora_te2_")) {
      why = "SDXL text-encoder LoRA (lora_te1/lora_te2) does not fit SD1.5";
      return std::nullopt;
    }
    std::string target = kLoRATargetUNet;
    std::string rest = stem;
    if (startsWith(rest, "base_model.model.")) rest = rest.substr(17);
    if (startsWith(rest, "unet.")) {
      rest = rest.substr(5);
    } else if (startsWith(rest, "text_encoder.")) {
      target = kLoRATargetTextEncoder;
      rest = rest.substr(13);
    } else if (startsWith(rest, "text_model.")) {
      target = kLoRATargetTextEncoder;
    }
    if (naming == Naming::DiffusersOld && endsWith(rest, "_lora")) rest = oldProcessorPath(target, rest);
    return dotted(target, rest, why);
  }

 private:
  const std::unordered_set<std::string>* paths(const std::string& target) const {
    auto it = targets_.find(target);
    return it == targets_.end() || it->second.empty() ? nullptr : &it->second;
  }

  std::optional<std::pair<std::string, std::string>> dotted(const std::string& target, const std::string& rest,
                                                            std::string& why) {
    const auto* known = paths(target);
    if (!known) return std::make_pair(target, rest);  // nothing to check against
    // CLIPTextModel flattened in transformers >= 5.6 has no `text_model.` level.
    std::vector<std::string> candidates{rest};
    if (target == kLoRATargetTextEncoder) {
      if (startsWith(rest, "text_model."))
        candidates.push_back(rest.substr(11));
      else
        candidates.push_back("text_model." + rest);
    }
    for (const auto& c : candidates)
      if (known->count(c)) return std::make_pair(target, c);
    why = "the " + target + " has no module '" + rest + "'";
    return std::nullopt;
  }

  const std::unordered_map<std::string, std::string>& table(const std::string& target) {
    auto it = tables_.find(target);
    if (it != tables_.end()) return it->second;
    auto& t = tables_[target];
    if (const auto* known = paths(target)) {
      for (const auto& p : *known) {
        t.emplace(underscored(p), p);
        if (target == kLoRATargetTextEncoder) {
          if (startsWith(p, "text_model."))
            t.emplace(underscored(p.substr(11)), p);
          else
            t.emplace("text_model_" + underscored(p), p);
        }
      }
    }
    return t;
  }

  std::optional<std::pair<std::string, std::string>> kohya(const std::string& target, const std::string& name,
                                                           std::string& why) {
    if (!paths(target)) {
      why = "kohya names need the " + target + "'s module list to be mapped back";
      return std::nullopt;
    }
    const auto& t = table(target);
    if (auto it = t.find(name); it != t.end()) return std::make_pair(target, it->second);
    if (target == kLoRATargetUNet) {
      if (auto translated = fromLdm(name)) {
        if (auto it = t.find(*translated); it != t.end()) return std::make_pair(target, it->second);
      }
    }
    why = "the " + target + " has no module matching kohya name '" + name + "'";
    return std::nullopt;
  }

  // `input_blocks_4_1_transformer_blocks_0_attn1_to_q` -> the underscored
  // diffusers path, through the LDM block table (ARCHITECTURE_FACTS.md §2.2).
  std::optional<std::string> fromLdm(const std::string& name) {
    static const std::regex kBlock(R"(^(input_blocks|output_blocks)_(\d+)_(\d+)(?:_(.*))?$)");
    static const std::regex kMiddle(R"(^middle_block_(\d+)(?:_(.*))?$)");
    static const std::regex kTop(R"(^(time_embed|out)_(\d+)$)");
    std::smatch m;
    std::string block, rest;
    if (std::regex_match(name, m, kBlock)) {
      block = m[1].str() + "." + m[2].str() + "." + m[3].str();
      rest = m[4].str();
    } else if (std::regex_match(name, m, kMiddle)) {
      block = "middle_block." + m[1].str();
      rest = m[2].str();
    } else if (std::regex_match(name, m, kTop)) {
      block = m[1].str() + "." + m[2].str();
    } else {
      return std::nullopt;
    }
    if (!keyMap_) {
      io::LdmUNetLayout layout = options_.ldmLayout;
      if (layout.levels == 0) {
        const auto* unet = paths(kLoRATargetUNet);
        layout = unet ? ldmLayoutFromModulePaths(*unet) : sd15LdmLayout();
      }
      keyMap_ = io::ldmUNetKeyMap(layout);
    }
    // Downsampler `input_blocks.3.0.op` and upsampler `output_blocks.5.2.conv` are whole rules.
    if (rest == "op" || rest == "conv") {
      const std::string mapped = keyMap_->map(block + "." + rest);
      if (!mapped.empty()) return underscored(mapped);
    }
    const io::PrefixRule* rule = keyMap_->match(block);
    if (!rule) return std::nullopt;
    if (rule->inner) {
      for (const auto& [from, to] : *rule->inner) {
        const std::string f = underscored(from);
        if (rest == f || startsWith(rest, f + "_")) {
          rest = underscored(to) + rest.substr(f.size());
          break;
        }
      }
    }
    return underscored(rule->to) + (rest.empty() ? "" : "_" + rest);
  }

  const LoRATargetPaths& targets_;
  const LoRAReadOptions& options_;
  std::map<std::string, std::unordered_map<std::string, std::string>> tables_;
  std::optional<io::PrefixKeyMap> keyMap_;
};

const char* namingName(Naming n) {
  switch (n) {
    case Naming::Kohya: return "kohya";
    case Naming::Peft: return "peft";
    case Naming::DiffusersOld: return "diffusers-old";
    case Naming::None: break;
  }
  return "";
}

}  // namespace

double LoRAModule::scale() const {
  if (rank <= 0) return 0.0;
  return rsLoRA ? alpha / std::sqrt(static_cast<double>(rank)) : static_cast<double>(alpha) / rank;
}

std::vector<LoRAModule> LoRAFile::forTarget(const std::string& target) const {
  std::vector<LoRAModule> out;
  for (const auto& m : modules)
    if (m.target == target) out.push_back(m);
  return out;
}

io::LdmUNetLayout sd15LdmLayout() {
  io::LdmUNetLayout layout;
  layout.levels = 4;
  layout.layersPerBlock = 2;
  layout.downHasAttention = {true, true, true, false};
  layout.upHasAttention = {false, true, true, true};
  return layout;
}

io::LdmUNetLayout ldmLayoutFromModulePaths(const std::unordered_set<std::string>& unetPaths) {
  static const std::regex kPath(R"(^(down_blocks|up_blocks)\.(\d+)\.(resnets|attentions)\.(\d+)(\..*)?$)");
  std::set<int> down, up, firstResnets;
  std::set<int> downAttn, upAttn;
  for (const auto& p : unetPaths) {
    std::smatch m;
    if (!std::regex_match(p, m, kPath)) continue;
    const int block = std::stoi(m[2].str());
    const bool isDown = m[1].str() == "down_blocks";
    const bool isAttn = m[3].str() == "attentions";
    (isDown ? down : up).insert(block);
    if (isAttn) (isDown ? downAttn : upAttn).insert(block);
    if (isDown && block == 0 && !isAttn) firstResnets.insert(std::stoi(m[4].str()));
  }
  if (down.empty() || firstResnets.empty()) return sd15LdmLayout();
  io::LdmUNetLayout layout;
  layout.levels = *down.rbegin() + 1;
  layout.layersPerBlock = *firstResnets.rbegin() + 1;
  for (int i = 0; i < layout.levels; ++i) layout.downHasAttention.push_back(downAttn.count(i) > 0);
  if (!up.empty())
    for (int i = 0; i < layout.levels; ++i) layout.upHasAttention.push_back(upAttn.count(i) > 0);
  return layout;
}

LoRAFile readLoRA(const io::StateDictIndex& index, const LoRATargetPaths& targets, const LoRAReadOptions& options) {
  LoRAFile file;
  file.path = index.path;
  auto reject = [&](const std::string& key, const std::string& why) {
    if (!options.skipUnknown) throw CheckpointError(index.path, key, why);
    file.skipped.push_back(key + ": " + why);
  };

  // 1. Group the tensors of each module by the name they share.
  std::vector<std::string> order;
  std::unordered_map<std::string, Pending> groups;
  for (const auto& t : index.tensors()) {
    if (const char* kind = unsupportedKind(t.name)) {
      reject(t.name, std::string(kind) + " LoRA tensors are not supported");
      continue;
    }
    auto parsed = parseKey(t.name);
    if (!parsed) {
      reject(t.name, "not a LoRA tensor name");
      continue;
    }
    auto [it, inserted] = groups.try_emplace(parsed->stem);
    if (inserted) order.push_back(parsed->stem);
    Pending& g = it->second;
    const io::TensorInfo** slot = parsed->role == Role::Down    ? &g.down
                                  : parsed->role == Role::Up    ? &g.up
                                  : parsed->role == Role::Alpha ? &g.alpha
                                                                : &g.upBias;
    if (*slot) throw CheckpointError(index.path, t.name, "a second tensor for the same LoRA module");
    *slot = &t;
    if (parsed->naming != Naming::None) g.naming = parsed->naming;
  }

  // 2. Map each module to the network and read its alpha.
  Resolver resolver(targets, options);
  const auto peft = parsePeftMetadata(index);
  std::set<std::string> namings;
  for (const auto& stem : order) {
    const Pending& g = groups.at(stem);
    if (!g.down || !g.up) {
      const io::TensorInfo* any = g.down ? g.down : g.up ? g.up : g.alpha ? g.alpha : g.upBias;
      reject(any->name, std::string("LoRA module '") + stem + "' has no " + (g.down ? "up" : "down") + " matrix");
      continue;
    }
    std::string why;
    auto resolved = resolver.resolve(stem, g.naming, why);
    if (!resolved) {
      reject(g.down->name, why);
      continue;
    }
    LoRAModule m;
    m.target = resolved->first;
    m.modulePath = resolved->second;
    m.key = stem;
    m.down = *g.down;
    m.up = *g.up;
    if (g.upBias) m.upBias = *g.upBias;
    m.owner = index.owner;
    if (m.down.shape.size() < 2 || m.up.shape.size() < 2 || m.down.shape[0] <= 0)
      throw ShapeError(m.down.name, {0, 0}, m.down.shape);
    m.rank = static_cast<int>(m.down.shape[0]);
    if (m.up.shape[1] != m.rank) {
      std::vector<int64_t> expected = m.up.shape;
      expected[1] = m.rank;
      throw ShapeError(m.up.name, expected, m.up.shape);
    }
    m.rsLoRA = options.rsLoRA;
    m.alpha = static_cast<float>(m.rank);
    if (g.alpha) {
      m.alpha = readScalar(*g.alpha, index.owner);
    } else if (auto it = peft.find(m.target); it != peft.end()) {
      const PeftConfig& config = it->second;
      if (config.loraAlpha) m.alpha = static_cast<float>(*config.loraAlpha);
      for (const auto& [pattern, value] : config.alphaPattern)
        if (patternMatches(pattern, m.modulePath)) {
          m.alpha = static_cast<float>(value);
          break;
        }
      m.rsLoRA = m.rsLoRA || config.useRsLoRA;
    }
    namings.insert(namingName(g.naming));
    file.modules.push_back(std::move(m));
  }
  file.naming = namings.size() == 1 ? *namings.begin() : namings.empty() ? "" : "mixed";
  if (file.modules.empty() && file.skipped.empty())
    throw CheckpointError(index.path, "", "the file holds no LoRA tensors");
  return file;
}

}  // namespace sm::adapters
