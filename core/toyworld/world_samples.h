#pragma once
// Toy-world samples on disk: NNNN.png or NNNN.mp4, NNNN.txt (the caption, which
// `stillmoving dataset` reads) and captions.jsonl (caption and attributes).
#include <cstdint>
#include <filesystem>

#include "core/jobs/job.h"

namespace sm::toyworld {

enum class SampleKind { Pictures, Videos };

/// Writes `count` samples of the stream `seed` into `folder` (created).
void writeWorldSamples(const std::filesystem::path& folder, SampleKind kind, int64_t count, uint64_t seed,
                       jobs::JobContext& job);

}  // namespace sm::toyworld
