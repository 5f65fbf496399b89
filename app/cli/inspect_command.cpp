#include "app/cli/inspect_command.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/common_options.h"
#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "core/io/json_file.h"
#include "core/models/model_check.h"
#include "core/util/error.h"

namespace sm::cli {
namespace {

constexpr const char* kInspectUsage = R"(usage: stillmoving inspect PATH... [--json]

Says what each model file or folder is: kind, variant, naming, tensor and
parameter counts, dtypes, metadata, and whether its keys match the model's
config (missing, unexpected and misshapen keys are listed by name). With
--json, one JSON array of them on stdout. Exit status 2 when a path is broken,
unknown or does not match its config.
)";

std::string withThousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

nlohmann::json toJson(const io::ModelInfo& info) {
  nlohmann::json j;
  j["path"] = info.path;
  j["kind"] = std::string(io::modelKindName(info.kind));
  j["variant"] = info.variant;
  j["naming"] = info.naming;
  j["format"] = info.format;
  j["tensors"] = info.tensors;
  j["parameters"] = info.parameters;
  j["dtypes"] = info.dtypes;
  j["metadata"] = info.metadata;
  j["keys_ok"] = info.keysOk();
  j["notes"] = info.notes;
  j["components"] = nlohmann::json::array();
  for (const auto& c : info.components) {
    nlohmann::json jc{{"name", c.name}, {"path", c.path}, {"tensors", c.tensors}, {"parameters", c.parameters}};
    if (c.keyCheck) {
      std::vector<std::string> mismatched;
      for (const auto& m : c.keyCheck->shapeMismatches) mismatched.push_back(m.name);
      jc["missing_keys"] = c.keyCheck->missing;
      jc["unexpected_keys"] = c.keyCheck->unexpected;
      jc["shape_mismatches"] = mismatched;
    }
    j["components"].push_back(jc);
  }
  return j;
}

void printHuman(const io::ModelInfo& info, std::ostream& out) {
  out << info.path << "\n";
  out << "  kind        " << io::modelKindName(info.kind) << " (" << info.variant << ", " << info.naming
      << " naming)\n";
  out << "  format      " << info.format << "\n";
  out << "  tensors     " << withThousands(static_cast<int64_t>(info.tensors)) << "\n";
  out << "  parameters  " << withThousands(info.parameters) << "\n";
  out << "  dtypes      " << join(info.dtypes) << "\n";
  for (const auto& c : info.components) {
    out << "  component   " << c.name << ": " << c.tensors << " tensors, " << withThousands(c.parameters)
        << " parameters";
    if (c.keyCheck) out << (c.keyCheck->ok() ? ", keys match its config" : ", KEYS DO NOT MATCH its config:");
    out << "\n";
    if (c.keyCheck && !c.keyCheck->ok()) {
      std::istringstream lines(c.keyCheck->describe());
      for (std::string line; std::getline(lines, line);) out << "                " << line << "\n";
    }
  }
  for (const auto& [key, value] : info.metadata) {
    std::string shown = value.size() > 100 ? value.substr(0, 97) + "..." : value;
    out << "  metadata    " << key << " = " << shown << "\n";
  }
  for (const auto& note : info.notes) out << "  note        " << note << "\n";
}

}  // namespace

InspectCommand::InspectCommand(CLI::App& root) : app_(root.add_subcommand("inspect")) {
  app_->description(kInspectUsage);
  app_->formatter(std::make_shared<HelpFormatter>(0));
  app_->allow_extras();
  app_->add_option("paths", paths_)->group("");
  app_->add_flag("--json", json_)->group("");
}

InspectInvocation InspectCommand::parse() const {
  refuseExtras(*app_);
  if (paths_.empty()) throw UsageError("inspect needs at least one PATH");
  return {paths_, json_};
}

int runInspect(const InspectInvocation& invocation) {
  const bool json = invocation.json;
  int status = kExitOk;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& path : invocation.paths) {
    try {
      io::ModelInfo info = models::inspectModel(path);
      if (json)
        all.push_back(toJson(info));
      else
        printHuman(info, std::cout);
      if (!info.keysOk()) status = kExitBadInput;
    } catch (const Error& e) {
      // One clear line per broken path; the other paths are still inspected.
      std::cerr << "stillmoving: error: " << e.what() << "\n";
      if (json) all.push_back({{"path", path}, {"error", e.what()}});
      status = kExitBadInput;
    }
  }
  if (json) std::cout << io::dumpJson(all, 2) << "\n";
  return status;
}

}  // namespace sm::cli
