#include "core/comparison/comparison_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "core/util/error.h"
#include "core/world/world_scene.h"

namespace sm::comparison {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using toyworld::CustomizationKind;

/// The stream the default prompts are drawn from: none of the world's training,
/// evaluator, test or reference streams.
constexpr uint64_t kPromptSeed = 1313;

const std::set<std::string> kKeys{"models",        "customizations", "prompts_per_customization",
                                  "prompts",       "methods",        "seeds",
                                  "motion_scales", "frames",         "size",
                                  "steps",         "guidance",       "interpolation",
                                  "train_steps",   "evaluator",      "notes"};

class Reader {
 public:
  Reader(const json& j, std::string source) : j_(j), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw ConfigError(source_ + ": \"" + key + "\" " + what);
  }
  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }
  const json& at(const char* key) const { return j_[key]; }

  void read(const char* key, int& value, int lo, int hi) const {
    if (!has(key)) return;
    if (!at(key).is_number_integer()) fail(key, "must be a whole number");
    const auto v = at(key).get<int64_t>();
    if (v < lo || v > hi) fail(key, "must be from " + std::to_string(lo) + " to " + std::to_string(hi));
    value = static_cast<int>(v);
  }
  void read(const char* key, double& value, double lo, double hi) const {
    if (!has(key)) return;
    if (!at(key).is_number()) fail(key, "must be a number");
    const double v = at(key).get<double>();
    if (!(v >= lo && v <= hi)) fail(key, "must be from " + std::to_string(lo) + " to " + std::to_string(hi));
    value = v;
  }
  void read(const char* key, std::string& value) const {
    if (!has(key)) return;
    if (!at(key).is_string() || at(key).get<std::string>().empty()) fail(key, "must be a non-empty string");
    value = at(key).get<std::string>();
  }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    if (!at(key).is_array() || at(key).empty()) fail(key, "must be a non-empty list of names");
    for (const auto& v : at(key)) {
      if (!v.is_string()) fail(key, "must be a list of names (strings)");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  std::vector<double> numbers(const char* key) const {
    std::vector<double> out;
    if (!at(key).is_array() || at(key).empty()) fail(key, "must be a non-empty list of numbers");
    for (const auto& v : at(key)) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) fail(key, "must be a list of numbers");
      out.push_back(v.get<double>());
    }
    return out;
  }

 private:
  const json& j_;
  std::string source_;
};

CustomizationKind kindNamed(const Reader& r, const std::string& key, const std::string& name) {
  if (name == "object") return CustomizationKind::Object;
  if (name == "style") return CustomizationKind::Style;
  r.fail(key, "names an unknown customization '" + name + "' (object, style)");
}

Method methodNamed(const Reader& r, const std::string& name) {
  std::string known;
  for (const auto& m : methodTable()) {
    if (name == m.id) return m.method;
    known += (known.empty() ? "" : ", ") + std::string(m.id);
  }
  r.fail("methods", "names an unknown method '" + name + "' (" + known + ")");
}

fs::path resolved(const fs::path& p, const fs::path& baseDir) { return p.is_absolute() ? p : baseDir / p; }

}  // namespace

const std::vector<MethodInfo>& methodTable() {
  static const std::vector<MethodInfo> table{
      {Method::Base, "base", "base T2V", false},
      {Method::NaiveInjection, "naive_injection", "naive injection", false},
      {Method::Interpolation, "interpolation", "interpolation", false},
      {Method::Interleaved, "interleaved", "interleaved training", true},
      {Method::StillMoving, "still_moving", "Still-Moving", true},
      {Method::NoMotionAdapter, "no_motion_adapter", "w/o Motion Adapter", true},
      {Method::AllSpatialWeights, "all_spatial_weights", "all spatial weights", true},
      {Method::NoPrior, "no_prior", "w/o prior preservation", true},
  };
  return table;
}

const MethodInfo& methodInfo(Method method) {
  for (const auto& m : methodTable())
    if (m.method == method) return m;
  throw std::logic_error("methodInfo: unknown method");
}

std::string customizationId(CustomizationKind kind) { return kind == CustomizationKind::Object ? "object" : "style"; }

std::vector<ComparisonPrompt> defaultPrompts(CustomizationKind kind, int count) {
  world::SceneFilter filter;
  if (kind == CustomizationKind::Object) filter.shapes = {world::Shape::Toy};
  if (kind == CustomizationKind::Style) filter.rendering = world::Rendering::Outlined;
  std::vector<ComparisonPrompt> out;
  for (int i = 0; i < count; ++i) {
    const world::Scene scene = world::sampleScene(kPromptSeed, static_cast<uint64_t>(i), filter);
    out.push_back({world::caption(scene, true), world::caption(scene, false)});
  }
  return out;
}

ComparisonConfig ComparisonConfig::defaults(int promptsPerCustomization) {
  ComparisonConfig c;
  for (CustomizationKind kind : {CustomizationKind::Object, CustomizationKind::Style})
    c.customizations.push_back({kind, defaultPrompts(kind, promptsPerCustomization)});
  for (const auto& m : methodTable()) c.methods.push_back(m.method);
  return c;
}

ComparisonConfig ComparisonConfig::fromJson(const json& j, const std::string& source, const fs::path& baseDir) {
  if (!j.is_object()) throw ConfigError(source + ": a comparison config is a JSON object");
  const Reader r(j, source);
  for (const auto& item : j.items())
    if (!kKeys.count(item.key())) {
      std::string known;
      for (const auto& k : kKeys) known += (known.empty() ? "" : ", ") + k;
      r.fail(item.key(), "is not a comparison setting (" + known + ")");
    }

  int promptsPer = 3;
  r.read("prompts_per_customization", promptsPer, 1, 64);
  ComparisonConfig c = defaults(promptsPer);
  std::string path;
  r.read("models", path);
  if (!path.empty()) c.models = resolved(path, baseDir);
  path.clear();
  r.read("notes", path);
  if (!path.empty()) c.notes = resolved(path, baseDir);
  r.read("evaluator", c.evaluator);
  if (c.evaluator != "toy") c.evaluator = resolved(c.evaluator, baseDir).string();

  if (r.has("customizations")) {
    c.customizations.clear();
    for (const auto& name : r.strings("customizations")) {
      const CustomizationKind kind = kindNamed(r, "customizations", name);
      for (const auto& existing : c.customizations)
        if (existing.kind == kind) r.fail("customizations", "names '" + name + "' twice");
      c.customizations.push_back({kind, defaultPrompts(kind, promptsPer)});
    }
  }
  if (r.has("prompts")) {
    if (!r.at("prompts").is_object())
      r.fail("prompts", "must map a customization to its prompts: {\"object\": [\"a sks toy ...\"]}");
    for (const auto& item : r.at("prompts").items()) {
      const CustomizationKind kind = kindNamed(r, "prompts", item.key());
      auto plan = std::find_if(c.customizations.begin(), c.customizations.end(),
                               [&](const CustomizationPlan& p) { return p.kind == kind; });
      if (plan == c.customizations.end())
        r.fail("prompts", "has prompts for '" + item.key() + "', which \"customizations\" does not run");
      if (!item.value().is_array() || item.value().empty())
        r.fail("prompts", "of '" + item.key() + "' must be a non-empty list");
      plan->prompts.clear();
      for (const auto& p : item.value()) {
        ComparisonPrompt prompt;
        if (p.is_string()) {
          prompt.prompt = prompt.evaluationPrompt = p.get<std::string>();
        } else if (p.is_object() && p.contains("prompt") && p["prompt"].is_string()) {
          prompt.prompt = p["prompt"].get<std::string>();
          prompt.evaluationPrompt = p.value("evaluation_prompt", prompt.prompt);
        } else {
          r.fail("prompts", "entries must be strings or {\"prompt\": ..., \"evaluation_prompt\": ...}");
        }
        if (prompt.prompt.empty()) r.fail("prompts", "has an empty prompt");
        plan->prompts.push_back(prompt);
      }
    }
  }
  if (r.has("methods")) {
    c.methods.clear();
    for (const auto& name : r.strings("methods")) {
      const Method m = methodNamed(r, name);
      if (std::find(c.methods.begin(), c.methods.end(), m) != c.methods.end())
        r.fail("methods", "names '" + name + "' twice");
      c.methods.push_back(m);
    }
    // The tables keep the paper's order whatever the config's.
    std::sort(c.methods.begin(), c.methods.end());
  }
  if (r.has("seeds")) {
    c.seeds.clear();
    for (double s : r.numbers("seeds")) {
      if (s < 0 || s != std::floor(s) || s > 9007199254740992.0) r.fail("seeds", "must be whole numbers >= 0");
      c.seeds.push_back(static_cast<uint64_t>(s));
    }
  }
  if (r.has("motion_scales")) {
    c.motionScales = r.numbers("motion_scales");
    for (double a : c.motionScales)
      if (a < -4 || a > 4) r.fail("motion_scales", "must be from -4 to 4");
  }
  // a = 0 is Still-Moving's own row; the scales are plotted in order.
  if (std::find(c.motionScales.begin(), c.motionScales.end(), 0.0) == c.motionScales.end())
    c.motionScales.push_back(0.0);
  std::sort(c.motionScales.begin(), c.motionScales.end());
  c.motionScales.erase(std::unique(c.motionScales.begin(), c.motionScales.end()), c.motionScales.end());

  r.read("frames", c.frames, 2, 64);
  r.read("size", c.size, 16, 1024);
  if (c.size % 8 != 0) r.fail("size", "must be a multiple of 8");
  r.read("steps", c.steps, 1, 200);
  r.read("guidance", c.guidance, 1.0, 30.0);
  r.read("interpolation", c.interpolation, 0.0, 1.0);
  r.read("train_steps", c.trainSteps, 1, 100000);
  return c;
}

ComparisonConfig ComparisonConfig::fromFile(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError("--config: cannot read '" + file.string() + "': give a JSON comparison config");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw InputError("--config: '" + file.string() + "' is not valid JSON: " + e.what());
  }
  return fromJson(j, file.string(), file.parent_path());
}

json ComparisonConfig::toJson() const {
  json j;
  if (!models.empty()) j["models"] = models.string();
  j["customizations"] = json::array();
  j["prompts"] = json::object();
  for (const auto& plan : customizations) {
    j["customizations"].push_back(customizationId(plan.kind));
    for (const auto& p : plan.prompts)
      j["prompts"][customizationId(plan.kind)].push_back(
          {{"prompt", p.prompt}, {"evaluation_prompt", p.evaluationPrompt}});
  }
  j["methods"] = json::array();
  for (Method m : methods) j["methods"].push_back(methodInfo(m).id);
  j["seeds"] = seeds;
  j["motion_scales"] = motionScales;
  j["frames"] = frames;
  j["size"] = size;
  j["steps"] = steps;
  j["guidance"] = guidance;
  j["interpolation"] = interpolation;
  j["train_steps"] = trainSteps;
  j["evaluator"] = evaluator;
  return j;
}

}  // namespace sm::comparison
