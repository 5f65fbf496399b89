#pragma once
// One user setting of the commands (generate, dataset frozen|prior, train
// motion-adapter|spatial-adapters): what the CLI's options and --help, the
// Studio's widgets and core's request validation are all built from.
// No LibTorch, no Qt: the CLI, the Studio and core share it.
#include <string>
#include <vector>

namespace sm::settings {

enum class SettingType {
  Integer,
  Real,
  Flag,    ///< on when given, off otherwise
  Text,    ///< free text (a prompt, a caption, a LoRA spec)
  Choice,  ///< one of `choices`
  Path,    ///< a file or folder
  Seed,    ///< a 64-bit unsigned integer
};

/// The commands (and the global options) a setting belongs to, as bits of a CommandSet.
enum class Command : unsigned {
  Global = 1u << 0,
  Generate = 1u << 1,
  DatasetFrozen = 1u << 2,
  DatasetPrior = 1u << 3,
  TrainMotionAdapter = 1u << 4,
  TrainSpatialAdapters = 1u << 5,
};
using CommandSet = unsigned;
constexpr CommandSet bit(Command c) { return static_cast<CommandSet>(c); }
constexpr CommandSet kDataset = bit(Command::DatasetFrozen) | bit(Command::DatasetPrior);
constexpr CommandSet kTrain = bit(Command::TrainMotionAdapter) | bit(Command::TrainSpatialAdapters);

/// "generate", "dataset frozen", "train spatial-adapters", ...
std::string commandName(Command command);

struct Setting {
  /// The CLI option without its dashes, and the JSON key ("frames", "motion-scale").
  std::string key;
  SettingType type = SettingType::Text;
  /// The --help section and the Studio's form group ("models", "video", "engine", ...).
  std::string group;
  /// The name core's error messages use ("guidance (cfg)"); the key when empty.
  std::string label;
  /// What --help shows beside the option, and the Studio's tooltip.
  std::string help;
  /// The value's placeholder in --help: "N", "X", "PATH", "TEXT"; choices show "a|b|c".
  std::string valueName;
  /// The default as --help shows it ("16", "random", "the dataset's"); "" when there is none.
  std::string defaultText;
  /// The default of numeric settings (of a flag: 0, off).
  double defaultValue = 0;
  /// Inclusive range of numeric settings.
  double min = 0;
  double max = 0;
  /// Integers: the value must be a multiple of it (sizes: 8, the VAE's factor).
  int multipleOf = 1;
  /// Reals: digits after the point a widget shows; and the step of a widget's arrows.
  int decimals = 0;
  double step = 1;
  /// Choices, the first one being the default.
  std::vector<std::string> choices;
  /// "pixels", "frames/s"; shown in the Studio.
  std::string unit;
  /// The commands that take it.
  CommandSet commands = 0;
  /// Given once per value (--lora, --prompt of datasets).
  bool repeatable = false;
  /// The command refuses to run without it.
  bool required = false;

  bool numeric() const { return type == SettingType::Integer || type == SettingType::Real; }
  const std::string& name() const { return label.empty() ? key : label; }
};

}  // namespace sm::settings
