// libFuzzer target for a dataset's manifest (dataset.json): any bytes must be
// read or refused with an sm::Error naming the file, never crash or throw another type.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/datasets/dataset_manifest.h"
#include "core/util/error.h"

volatile size_t gSink = 0;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const sm::datasets::DatasetManifest manifest =
        sm::datasets::manifestFromJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz/dataset.json");
    size_t total = 0;
    for (const auto& sample : manifest.samples) total += sample.key.size() + sample.prompt.size();
    gSink = total;
  } catch (const sm::Error&) {
  }
  return 0;
}
