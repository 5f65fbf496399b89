// Core's validation agrees with the settings table: for every numeric setting
// of generate, dataset frozen|prior and train motion-adapter|spatial-adapters,
// the request (or settings) validate() accepts the table's min and max and
// refuses just below and just above, naming the setting. A numeric setting
// that core does not check is listed here with the reason, so that a new one
// cannot be forgotten.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "core/control/control_unit.h"
#include "core/datasets/dataset_jobs.h"
#include "core/diffusion/scheduler_config.h"
#include "core/pipelines/generation_request.h"
#include "core/settings/settings_table.h"
#include "core/training/training_settings.h"
#include "core/util/error.h"
#include "tests/keylist.h"
#include "tests/temp_dir.h"

namespace sm::settings {
namespace {

using Check = std::function<void(double)>;  // sets the value, then validate()

std::string fixture(const std::string& name) { return test::dataPath("fixtures/" + name); }

template <typename Set>
Check controlCheck(Set set) {
  return [set](double v) {
    control::ControlNetUnit unit;
    unit.controlNet = "controlnet.safetensors";
    unit.video = "drive.mp4";
    set(unit, v);
    unit.validate();
  };
}

std::map<std::string, Check> generateChecks() {
  auto field = [](auto member) {
    return [member](double v) {
      pipelines::GenerationRequest r;
      r.*member = static_cast<std::remove_reference_t<decltype(r.*member)>>(v);
      r.validate();
    };
  };
  using R = pipelines::GenerationRequest;
  return {
      {"frames", field(&R::frames)},
      {"width", field(&R::width)},
      {"height", field(&R::height)},
      {"steps", field(&R::steps)},
      {"cfg", field(&R::guidance)},
      {"videos", field(&R::numVideos)},
      {"fps", field(&R::fps)},
      {"clip-skip", field(&R::clipSkip)},
      {"motion-scale", field(&R::motionScale)},
      {"spatial-strength", field(&R::spatialStrength)},
      {"context",
       [](double v) {
         pipelines::GenerationRequest r;
         r.context.length = static_cast<int>(v);
         r.context.overlap = 0;
         r.validate();
       }},
      // A ControlNet group's settings, checked by its unit (the other end of each pair at its widest).
      {"control-scale", controlCheck([](control::ControlNetUnit& u, double v) { u.scale = v; })},
      {"control-start", controlCheck([](control::ControlNetUnit& u, double v) { u.start = v; })},
      {"control-end", controlCheck([](control::ControlNetUnit& u, double v) { u.end = v; })},
      {"control-stride", controlCheck([](control::ControlNetUnit& u, double v) { u.stride = static_cast<int>(v); })},
      {"control-low", controlCheck([](control::ControlNetUnit& u, double v) {
         u.preprocessor.low = v;
         u.preprocessor.high = 1000;
       })},
      {"control-high", controlCheck([](control::ControlNetUnit& u, double v) {
         u.preprocessor.low = 0;
         u.preprocessor.high = v;
       })}};
}

template <typename Settings>
std::map<std::string, Check> datasetChecks(const test::TempDir& temp, Settings base) {
  base.out = temp.file("dataset");
  base.models.base = fixture("sd15_tiny_diffusers");
  base.models.motionModule = fixture("motion_adapter_tiny_v2_diffusers");
  base.prompts = {"a photo of a cat"};
  auto field = [base](auto member) {
    return [base, member](double v) {
      Settings s = base;
      s.*member = static_cast<std::remove_reference_t<decltype(s.*member)>>(v);
      s.validate();
    };
  };
  using C = datasets::DatasetCommonSettings;
  std::map<std::string, Check> checks = {{"frames", field(&C::frames)}, {"width", field(&C::width)},
                                         {"height", field(&C::height)}, {"fps", field(&C::fps)},
                                         {"steps", field(&C::steps)},   {"cfg", field(&C::guidance)}};
  if constexpr (std::is_same_v<Settings, datasets::FrozenDatasetSettings>) {
    checks["samples"] = field(&Settings::samplesPerPrompt);
    checks["frames-per-video"] = [base, &temp](double v) {
      Settings s = base;
      s.source = datasets::DatasetSource::Videos;
      s.inputFolder = temp.path().string();
      s.prompts.clear();
      s.framesPerVideo = static_cast<int>(v);
      s.validate();
    };
  } else {
    checks["count"] = field(&Settings::count);
    checks["stride"] = field(&Settings::stride);
  }
  return checks;
}

template <typename Settings>
std::map<std::string, Check> trainingChecks(Settings base) {
  base.model.base = "base";
  base.model.motionModule = "motion";
  base.output = "out.safetensors";
  auto field = [base](auto member) {
    return [base, member](double v) {
      Settings s = base;
      s.*member = static_cast<std::remove_reference_t<decltype(s.*member)>>(v);
      training::validate(s);
    };
  };
  using T = training::TrainingSettings;
  std::map<std::string, Check> checks = {{"steps", field(&T::steps)},
                                         {"batch", field(&T::batchSize)},
                                         {"accumulate", field(&T::gradientAccumulation)},
                                         {"lr", field(&T::learningRate)},
                                         {"warmup", field(&T::warmupSteps)},
                                         {"weight-decay", field(&T::weightDecay)},
                                         {"high-noise-weight", field(&T::highNoiseWeightCap)},
                                         {"rank", field(&T::rank)},
                                         {"checkpoint-every", field(&T::checkpointEvery)},
                                         {"frames", field(&T::frames)}};
  if constexpr (std::is_same_v<Settings, training::SpatialAdaptersTrainingSettings>)
    checks["prior-ratio"] = field(&Settings::priorRatio);
  return checks;
}

// Numeric settings core does not range-check, and why.
const std::map<std::string, std::string> kNotInCore = {
    {"threads", "the engine's thread count, set before any request"},
    {"interpolate", "a model source (ModelSet), not a request field"},
    {"eta", "a scheduler setting, checked by the scheduler"},
    {"overlap", "bounded by --context, a structural check of validate()"},
};

void expectAgreement(Command command, const std::map<std::string, Check>& checks) {
  for (const Setting* s : settingsOf(command)) {
    if (!s->numeric()) continue;
    const auto check = checks.find(s->key);
    if (check == checks.end()) {
      EXPECT_TRUE(kNotInCore.count(s->key)) << commandName(command) << " --" << s->key << " is never validated";
      continue;
    }
    const double delta = s->type == SettingType::Integer ? s->multipleOf : std::max(1e-3, (s->max - s->min) / 100);
    for (double ok : {s->min, s->max})
      EXPECT_NO_THROW(check->second(ok)) << commandName(command) << " --" << s->key << " " << ok;
    for (double bad : {s->min - delta, s->max + delta}) {
      try {
        check->second(bad);
        ADD_FAILURE() << commandName(command) << " --" << s->key << " accepts " << bad;
      } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(s->name()), std::string::npos) << e.what();
      }
    }
  }
}

TEST(SettingsValidation, GenerationRequestChecksTheTablesRanges) {
  expectAgreement(Command::Generate, generateChecks());
  pipelines::GenerationRequest r;
  r.width = 72;
  r.height = 40;
  EXPECT_NO_THROW(r.validate()) << "any multiple of 8 from 8";
}

TEST(SettingsValidation, DatasetSettingsCheckTheTablesRanges) {
  test::TempDir temp("sm_settings_validation");
  expectAgreement(Command::DatasetFrozen, datasetChecks(temp, datasets::FrozenDatasetSettings{}));
  datasets::PriorDatasetSettings prior;
  prior.source = datasets::DatasetSource::Generated;
  expectAgreement(Command::DatasetPrior, datasetChecks(temp, prior));
}

TEST(SettingsValidation, TrainingSettingsCheckTheTablesRanges) {
  training::MotionAdapterTrainingSettings motion;
  motion.dataset = "frozen";
  expectAgreement(Command::TrainMotionAdapter, trainingChecks(motion));
  training::SpatialAdaptersTrainingSettings spatial;
  spatial.customDataset = "frozen";
  spatial.priorDataset = "prior";
  spatial.model.custom = "custom";
  expectAgreement(Command::TrainSpatialAdapters, trainingChecks(spatial));
}

TEST(SettingsValidation, EverySchedulerChoiceIsASamplerName) {
  for (const std::string& name : setting(Command::Generate, "scheduler").choices)
    EXPECT_NO_THROW(diffusion::parseSamplerName(name)) << name;
}

}  // namespace
}  // namespace sm::settings
