#include <torch/torch.h>

#include "core/toyworld/evaluator.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/toy_models.h"
#include "core/toyworld/training_loop.h"
#include "core/toyworld/world_batches.h"

namespace sm::toyworld {
namespace {

constexpr uint64_t kSeed = 404;
constexpr int64_t kBatch = 64;

/// The evaluator must know every concept of the world, the customizations
/// included (as CLIP knows far more than any one model): one picture in eight
/// is the toy, one in eight is drawn in the style.
world::SceneFilter filterFor(int64_t index) {
  world::SceneFilter filter;
  if (index % 8 == 3) filter.shapes = {world::Shape::Toy};
  if (index % 8 == 5) filter.rendering = world::Rendering::Outlined;
  return filter;
}

}  // namespace

PictureBatch drawEvaluatorBatch(int64_t firstIndex, int64_t count) {
  PictureBatch batch;
  std::vector<torch::Tensor> pixels;
  for (int64_t i = firstIndex; i < firstIndex + count; ++i) {
    world::Scene scene = world::sampleScene(world::kEvaluatorSeed, static_cast<uint64_t>(i), filterFor(i));
    if (i % 2 == 1) {
      // A hard negative: the odd picture repeats its even neighbour's colour, background and
      // place, so only the shape (or the style) tells their captions apart. With random
      // pairs alone, colour and background separate almost every pair in a batch and the
      // shape is hardly learnt (3000 such steps named 0.73 of shape+colour pairs).
      const world::Scene pair =
          world::sampleScene(world::kEvaluatorSeed, static_cast<uint64_t>(i - 1), filterFor(i - 1));
      scene.color = pair.color;
      scene.background = pair.background;
      scene.backgroundSeed = pair.backgroundSeed;
      scene.x = pair.x;
      scene.y = pair.y;
      scene.radius = pair.radius;
      scene.motion = pair.motion;  // the place was chosen to stay inside the picture for this motion
      scene.phase = pair.phase;
    }
    pixels.push_back(frameToTensor(world::drawImage(scene, pictureTime(i), kImageSize)));
    batch.captions.push_back(world::caption(scene, false));
    batch.scenes.push_back(scene);
  }
  batch.pixels = torch::stack(pixels);
  return batch;
}

void trainEvaluatorStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  const text::CLIPTokenizer tokenizer = toyTokenizer(folder);
  EvaluatorConfig config;
  config.text.vocab_size = static_cast<int>(tokenizer.vocabSize());
  config.text.hidden_size = 64;
  config.text.intermediate_size = 256;
  config.text.num_hidden_layers = 2;
  config.text.num_attention_heads = 1;
  // Narrower than the first run's (32, 64, 128, 128; 128-d embeddings): 0.8 MB less, for the 30 MB budget.
  config.imageWidths = {32, 64, 96, 96};
  config.embedDim = 64;
  torch::manual_seed(kSeed);
  ToyEvaluator model(config);
  TrainingLoopSpec spec;
  spec.stage = "evaluator";
  spec.checkpointPath = folder.checkpoint("evaluator").string();
  spec.steps = scaledSteps(3000, options);
  spec.checkpointEvery = 250;
  spec.learningRate = 1e-3;
  spec.warmupSteps = 100;
  spec.seed = kSeed;
  spec.params = moduleParameters(*model);
  spec.loss = [&](int64_t step, at::Generator&) {
    const PictureBatch batch = drawEvaluatorBatch(step * kBatch, kBatch);
    const torch::Tensor image = model->encodeImages(batch.pixels);
    const torch::Tensor text = model->encodeTexts(tokenize(tokenizer, batch.captions));
    const torch::Tensor logits = model->logit_scale.clamp_max(std::log(100.0)).exp() * image.matmul(text.t());
    // Captions repeat within a batch: every picture with the same caption is a positive.
    torch::Tensor same = torch::zeros({kBatch, kBatch});
    for (int64_t i = 0; i < kBatch; ++i)
      for (int64_t j = 0; j < kBatch; ++j)
        if (batch.captions[static_cast<size_t>(i)] == batch.captions[static_cast<size_t>(j)]) same[i][j] = 1.0;
    const torch::Tensor target = same / same.sum(1, true);
    const torch::Tensor lossImage = -(target * torch::log_softmax(logits, 1)).sum(1).mean();
    const torch::Tensor lossText = -(target * torch::log_softmax(logits.t(), 1)).sum(1).mean();
    return 0.5 * (lossImage + lossText);
  };
  const TrainingLoopResult result = runTrainingLoop(spec, job);
  StageRecord record;
  record.stage = "evaluator";
  record.steps = spec.steps;
  record.seconds = result.seconds;
  record.seed = kSeed;
  record.losses = result.losses;
  record.figures = {{"final_loss", tailMean(result.losses)}};
  saveEvaluator(folder.weights("evaluator"), *model);
  writeStageRecord(folder.record("evaluator"), record);
}

}  // namespace sm::toyworld
