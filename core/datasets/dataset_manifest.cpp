#include "core/datasets/dataset_manifest.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>

#include "core/io/json_file.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace sm::datasets {
namespace {

const std::vector<std::pair<DatasetKind, const char*>> kKinds = {{DatasetKind::Frozen, "frozen"},
                                                                 {DatasetKind::Prior, "prior"}};
const std::vector<std::pair<DatasetSource, const char*>> kSources = {{DatasetSource::Model, "model"},
                                                                     {DatasetSource::Images, "images"},
                                                                     {DatasetSource::Videos, "videos"},
                                                                     {DatasetSource::Generated, "generated"}};

template <typename Enum>
Enum parseName(const std::vector<std::pair<Enum, const char*>>& table, const std::string& name, const char* what) {
  std::string valid;
  for (const auto& [value, spelling] : table) {
    if (name == spelling) return value;
    valid += (valid.empty() ? "" : ", ") + std::string(spelling);
  }
  throw ConfigError("unknown dataset " + std::string(what) + " '" + name + "': use " + valid);
}

// Reads a required field, turning nlohmann's type errors into one message naming the field.
template <typename T>
T field(const json& object, const char* name, const std::string& path) {
  const auto it = object.find(name);
  if (it == object.end()) throw CheckpointError(path, std::string("has no \"") + name + "\" field");
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // Whole numbers in T's range only: 1e20 or 2.5 is damage, not a count.
    const bool fits =
        it->is_number_unsigned() ? it->template get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
        : it->is_number_integer()
            ? it->template get<int64_t>() >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                  (it->template get<int64_t>() < 0 || static_cast<uint64_t>(it->template get<int64_t>()) <=
                                                          static_cast<uint64_t>(std::numeric_limits<T>::max()))
            : false;
    if (!fits) throw CheckpointError(path, std::string("field \"") + name + "\" is not a whole number in range");
  }
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw CheckpointError(path, std::string("field \"") + name + "\" has the wrong type");
  }
}

template <typename T>
T optionalField(const json& object, const char* name, T fallback, const std::string& path) {
  return object.contains(name) ? field<T>(object, name, path) : fallback;
}

nlohmann::ordered_json sampleToJson(const DatasetSample& s) {
  nlohmann::ordered_json j = {{"key", s.key}, {"prompt", s.prompt}};
  if (!s.file.empty()) j["file"] = s.file;
  if (s.frame >= 0) j["frame"] = s.frame;
  if (s.file.empty()) j["seed"] = s.seed;  // sampled: the seed says where it came from
  return j;
}

DatasetSample sampleFromJson(const json& j, const std::string& path) {
  if (!j.is_object()) throw CheckpointError(path, "a \"samples\" entry is not an object");
  DatasetSample s;
  s.key = field<std::string>(j, "key", path);
  s.prompt = field<std::string>(j, "prompt", path);
  s.file = optionalField<std::string>(j, "file", "", path);
  s.frame = optionalField<int64_t>(j, "frame", -1, path);
  s.seed = optionalField<uint64_t>(j, "seed", 0, path);
  return s;
}

}  // namespace

std::string datasetKindName(DatasetKind kind) {
  for (const auto& [value, name] : kKinds)
    if (value == kind) return name;
  return "?";
}

std::string datasetSourceName(DatasetSource source) {
  for (const auto& [value, name] : kSources)
    if (value == source) return name;
  return "?";
}

DatasetKind parseDatasetKind(const std::string& name) { return parseName(kKinds, name, "kind"); }
DatasetSource parseDatasetSource(const std::string& name) { return parseName(kSources, name, "source"); }

std::string manifestToJson(const DatasetManifest& m) {
  // Ordered: the format comes first for whoever opens the file.
  nlohmann::ordered_json j = {{"format", kDatasetFormat},
                              {"format_version", kDatasetFormatVersion},
                              {"kind", datasetKindName(m.kind)},
                              {"source", datasetSourceName(m.source)},
                              {"frames", m.frames},
                              {"width", m.width},
                              {"height", m.height},
                              {"stride", m.stride},
                              {"fps", m.fps},
                              {"seed", m.seed},
                              {"latents",
                               {{"file", kLatentsFile},
                                {"scaling_factor", m.scalingFactor},
                                {"pixels_per_latent", m.pixelsPerLatent},
                                {"value", "posterior_mean"}}},
                              {"base_model", m.baseModel},
                              {"custom_model", m.customModel}};
  nlohmann::ordered_json samples = nlohmann::ordered_json::array();
  for (const DatasetSample& s : m.samples) samples.push_back(sampleToJson(s));
  j["samples"] = std::move(samples);
  return io::dumpJson(j, 2) + "\n";
}

namespace {

DatasetManifest parseManifest(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw CheckpointError(path, std::string("is not valid JSON (") + e.what() + "): rebuild the dataset");
  }
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() || j["format"] != kDatasetFormat)
    throw CheckpointError(
        path, std::string("is not a Still-Moving dataset manifest (no \"format\": \"") + kDatasetFormat + "\")");
  const int version = field<int>(j, "format_version", path);
  if (version < 1 || version > kDatasetFormatVersion)
    throw CheckpointError(path, "has format_version " + std::to_string(version) + "; this build reads version " +
                                    std::to_string(kDatasetFormatVersion) + ": update Still-Moving Studio");
  DatasetManifest m;
  try {
    m.kind = parseDatasetKind(field<std::string>(j, "kind", path));
    m.source = parseDatasetSource(field<std::string>(j, "source", path));
  } catch (const ConfigError& e) {
    throw CheckpointError(path, e.what());
  }
  m.frames = field<int>(j, "frames", path);
  m.width = field<int>(j, "width", path);
  m.height = field<int>(j, "height", path);
  m.stride = optionalField<int>(j, "stride", 1, path);
  m.fps = optionalField<double>(j, "fps", 8.0, path);
  m.seed = optionalField<uint64_t>(j, "seed", 0, path);
  if (j.contains("latents") && j["latents"].is_object()) {
    m.scalingFactor = optionalField<double>(j["latents"], "scaling_factor", m.scalingFactor, path);
    // Absent in datasets written before VAEs other than SD's were supported: those are 8.
    m.pixelsPerLatent = optionalField<int>(j["latents"], "pixels_per_latent", m.pixelsPerLatent, path);
  }
  m.baseModel = optionalField<std::string>(j, "base_model", "", path);
  m.customModel = optionalField<std::string>(j, "custom_model", "", path);
  const int f = m.pixelsPerLatent;
  // Bounded like the settings that make datasets: a larger number is damage, not a dataset.
  constexpr int kMaxFrames = 4096, kMaxSide = 16384;
  if (f < 1 || f > 64 || m.frames < 1 || m.frames > kMaxFrames || m.width < f || m.height < f || m.width > kMaxSide ||
      m.height > kMaxSide || m.width % f != 0 || m.height % f != 0 || m.stride < 1)
    throw CheckpointError(path, "has impossible sizes (frames " + std::to_string(m.frames) + ", " +
                                    std::to_string(m.width) + "x" + std::to_string(m.height) + ", " +
                                    std::to_string(f) + " pixels per latent)");
  const json samples = j.value("samples", json());
  if (!samples.is_array()) throw CheckpointError(path, "has no \"samples\" list");
  for (const json& s : samples) m.samples.push_back(sampleFromJson(s, path));
  return m;
}

}  // namespace

DatasetManifest manifestFromJson(const std::string& text, const std::string& path) {
  try {
    return parseManifest(text, path);
  } catch (const json::exception& e) {  // a value of an unexpected type the checks above missed
    throw CheckpointError(path, std::string("holds a value of the wrong type (") + e.what() + "): rebuild the dataset");
  }
}

DatasetManifest readManifest(const std::string& folder) {
  if (!fs::is_directory(folder))
    throw CheckpointError(folder, "no such dataset folder (build one with `stillmoving dataset frozen|prior`)");
  const std::string path = (fs::path(folder) / kManifestFile).string();
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw CheckpointError(
        path, std::string("missing: ") + folder + " is not a dataset, or its build did not finish; build it again");
  std::stringstream text;
  text << in.rdbuf();
  return manifestFromJson(text.str(), path);
}

void writeManifest(const std::string& folder, const DatasetManifest& manifest) {
  util::writeFileAtomically((fs::path(folder) / kManifestFile).string(), manifestToJson(manifest));
}

}  // namespace sm::datasets
