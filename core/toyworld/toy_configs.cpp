#include "core/toyworld/toy_configs.h"

namespace sm::toyworld {

models::VAEConfig toyVaeConfig() {
  models::VAEConfig c;
  c.block_out_channels = {64, 64, 64};
  c.layers_per_block = 1;
  c.norm_num_groups = 32;
  c.latent_channels = 4;
  c.scaling_factor = kScalingFactor;
  c.sample_size = kImageSize;
  return c;
}

models::CLIPTextConfig toyTextConfig(int vocabSize) {
  models::CLIPTextConfig c;
  c.vocab_size = vocabSize;
  c.hidden_size = 128;
  c.intermediate_size = 512;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 2;
  c.max_position_embeddings = 77;
  return c;
}

models::UNetConfig toyUNetConfig() {
  models::UNetConfig c;
  c.block_out_channels = {64, 64, 64, 64};
  c.layers_per_block = 1;
  c.cross_attention_dim = 128;
  c.attention_head_dim = {8, 8, 8, 8};
  c.norm_num_groups = 32;
  c.sample_size = kImageSize / toyVaeConfig().pixelsPerLatent();
  return c;
}

models::MotionModuleConfig toyMotionConfig() {
  models::MotionModuleConfig c;
  c.block_out_channels = {64, 64, 64, 64};
  c.motion_layers_per_block = 1;
  c.motion_num_attention_heads = 8;
  c.motion_norm_num_groups = 32;
  c.motion_max_seq_length = 32;
  c.use_motion_mid_block = false;
  c.version = models::MotionModuleVersion::V3;
  return c;
}

}  // namespace sm::toyworld
