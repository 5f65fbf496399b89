// transformers' CLIPModel (the real-CLIP evaluator) against transformers itself:
// tests/data/clip/ holds a tiny random CLIPModel, three pictures and what
// transformers computed from them (tests/reference/make_clip_reference.py).
// Preprocessing is part of the parity: Pillow's bicubic resize byte for byte,
// the centre crop and CLIP's mean/std.
#include "core/models/clip/clip_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/models/clip/clip_preprocess.h"
#include "core/text/clip_tokenizer.h"
#include "core/util/error.h"
#include "core/video/video_reader.h"
#include "tests/tensor_test_util.h"

namespace sm::models {
namespace {

const std::string kData = std::string(SM_TEST_DATA_DIR) + "/clip";
const std::string kModel = kData + "/clip_model_tiny";
const std::vector<std::string> kPictures{"portrait", "landscape", "square"};

video::Frame picture(const std::string& name) {
  video::ReadOptions one;
  one.maxFrames = 1;
  return video::readVideo(kData + "/" + name + ".png", one).frames.at(0);
}

TEST(CLIPModel, ResizesExactlyAsPillow) {
  auto ref = test::readTensors(kData + "/reference.safetensors");
  for (const auto& name : kPictures) {
    const video::Frame in = picture(name);
    const torch::Tensor expected = ref.at("resized_" + name);  // [h, w, 3] uint8
    const video::Frame out =
        resizeBicubicLikePillow(in, static_cast<int>(expected.size(1)), static_cast<int>(expected.size(0)));
    const torch::Tensor got =
        torch::from_blob(const_cast<uint8_t*>(out.rgb.data()), {out.height, out.width, 3}, torch::kUInt8);
    EXPECT_TRUE(torch::equal(got, expected.to(torch::kUInt8)))
        << name << ": " << (got.to(torch::kInt) - expected.to(torch::kInt)).abs().max().item<int>() << " levels off";
  }
}

TEST(CLIPModel, PreprocessesAsCLIPImageProcessor) {
  auto ref = test::readTensors(kData + "/reference.safetensors");
  for (const auto& name : kPictures) {
    const torch::Tensor got = clipPixels({picture(name)}, 32)[0];
    const double error = test::maxAbsDiff(got, ref.at("pixel_values_" + name));
    test::reportError("clip_pixel_values_" + name, error);
    EXPECT_LE(error, 1e-5) << name;
  }
}

TEST(CLIPModel, ImageAndTextFeaturesMatchTransformers) {
  auto ref = test::readTensors(kData + "/reference.safetensors");
  CLIPModel model = loadCLIPModel(kModel);
  torch::NoGradGuard noGrad;
  std::vector<video::Frame> frames;
  for (const auto& name : kPictures) frames.push_back(picture(name));
  const torch::Tensor images = model->imageFeatures(clipPixels(frames, model->config().vision.image_size));
  const double imageError = test::maxAbsDiff(images, ref.at("image_features"));
  test::reportError("clip_image_features", imageError);
  EXPECT_LE(imageError, 1e-4);
  EXPECT_GT(ref.at("image_features").abs().max().item<double>(), 0.1);  // not a comparison of zeros

  // Our tokenizer, from the model's folder, gives transformers' ids.
  const text::CLIPTokenizer tokenizer = text::CLIPTokenizer::fromDiffusersFolder(kModel);
  const torch::Tensor ids = ref.at("input_ids").to(torch::kLong);
  const std::vector<std::string> prompts{"a red star on a gray background", "a photo of a cat"};
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::vector<int> ours = tokenizer.encodeForSD(prompts[i], 77);
    EXPECT_TRUE(torch::equal(torch::tensor(std::vector<int64_t>(ours.begin(), ours.end())), ids[i])) << prompts[i];
  }
  const torch::Tensor texts = model->textFeatures(ids);
  const double textError = test::maxAbsDiff(texts, ref.at("text_features"));
  test::reportError("clip_text_features", textError);
  EXPECT_LE(textError, 1e-4);
}

TEST(CLIPModel, RefusesFoldersThatAreNotCLIPModels) {
  try {
    loadCLIPModel(std::string(SM_TEST_DATA_DIR) + "/fixtures/sd15_tiny_diffusers/text_encoder");
    FAIL() << "a CLIPTextModel folder is not a CLIPModel";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CLIPModel"), std::string::npos) << e.what();
  }
  EXPECT_THROW(loadCLIPModel(kData + "/nope"), CheckpointError);
}

}  // namespace
}  // namespace sm::models
