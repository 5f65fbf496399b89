#pragma once
// The toy world's quality figures, the targets, measured on the
// exported models through the normal loaders and the compute worker (so they
// describe exactly what ships): the evaluator for recognition and fidelity,
// optical flow for motion. Each returns its numbers and its target as JSON.
#include <torch/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/jobs/job.h"
#include "core/pipelines/model_cache.h"
#include "core/toyworld/customizations.h"
#include "core/toyworld/evaluator.h"
#include "core/toyworld/toy_model_files.h"
#include "core/worker/jobs.h"

namespace sm::toyworld {

/// A toy-world generation as the figures make it: the exported base (diffusers
/// layout) with its tokenizer, 64x64, DDIM 20 steps, guidance 5, fp32 (the
/// figures must not depend on the machine's half-precision support). Without a
/// motion module and at one frame it is the T2I alone.
worker::GenerateJob toyGenerateJob(const ToyModelFiles& files, const std::string& prompt, uint64_t seed, int frames);

/// Base T2I: the share of the first `count` test-split prompts whose shape and
/// colour the evaluator's zero-shot classification (6 shapes x 8 colours) names,
/// and (world_pictures_recognised) the same for the world's own picture of each
/// prompt: the figure's ceiling, set by the evaluator.
nlohmann::json measureBaseTextToImage(const ToyModelFiles& files, pipelines::ModelCache& models, Evaluator& evaluator,
                                      int count, jobs::JobContext& job);
/// Base T2V: the share of `count` videos whose prompt's motion optical flow
/// recognises, and their mean flow against the world's own videos.
nlohmann::json measureBaseTextToVideo(const ToyModelFiles& files, pipelines::ModelCache& models, int count,
                                      jobs::JobContext& job);
/// A customized T2I (the object's DreamBooth weights or the style LoRA): how
/// often its picture of a customization prompt is more similar to the
/// customization's reference pictures than the base's, same prompt and seed.
nlohmann::json measureCustomizedTextToImage(const ToyModelFiles& files, pipelines::ModelCache& models,
                                            Evaluator& evaluator, CustomizationKind kind, int count,
                                            jobs::JobContext& job);
/// The Motion Adapter (flow at a = 1 against a = 0 on frozen-video prompts)
/// and Still-Moving for the object against naive injection (fidelity, motion)
/// and against `noMotionAdapter`, Spatial Adapters trained without the Motion
/// Adapter (motion; skipped when empty).
nlohmann::json measureAdapters(const ToyModelFiles& files, pipelines::ModelCache& models, Evaluator& evaluator,
                               const std::filesystem::path& noMotionAdapter, int count, jobs::JobContext& job);

/// Unit evaluator embeddings of a customization's reference pictures, [N, D].
torch::Tensor referenceEmbeddings(Evaluator& evaluator, CustomizationKind kind);

}  // namespace sm::toyworld
