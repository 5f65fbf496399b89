#include "core/io/key_maps/ldm_checkpoint.h"

#include <set>

#include "core/io/key_maps/clip_text.h"
#include "core/io/key_maps/ldm_unet.h"
#include "core/io/key_maps/ldm_vae.h"

namespace sm::io {
namespace {

// DDPM schedule buffers that LDM training checkpoints carry at the top level;
// the schedulers recompute them.
const std::set<std::string> kScheduleBuffers{"betas",
                                             "alphas_cumprod",
                                             "alphas_cumprod_prev",
                                             "sqrt_alphas_cumprod",
                                             "sqrt_one_minus_alphas_cumprod",
                                             "log_one_minus_alphas_cumprod",
                                             "sqrt_recip_alphas_cumprod",
                                             "sqrt_recipm1_alphas_cumprod",
                                             "posterior_variance",
                                             "posterior_log_variance_clipped",
                                             "posterior_mean_coef1",
                                             "posterior_mean_coef2",
                                             "logvar"};

bool startsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

void append(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

std::string ldmVaePrefix(const StateDictIndex& checkpoint) {
  for (const char* prefix : {"first_stage_model.", "vae."})
    if (checkpoint.hasPrefix(prefix)) return prefix;
  return {};
}

LdmComponents splitLdmCheckpoint(const StateDictIndex& checkpoint) {
  LdmComponents parts;
  if (checkpoint.hasPrefix(kLdmUNetPrefix)) {
    RenamedComponent unet =
        renameComponent(checkpoint, kLdmUNetPrefix, ldmUNetKeyMap(inferLdmUNetLayout(checkpoint, kLdmUNetPrefix)));
    parts.unet = std::move(unet.weights);
    append(parts.unmapped, unet.unmapped);
  }
  const std::string vaePrefix = ldmVaePrefix(checkpoint);
  if (!vaePrefix.empty()) {
    RenamedComponent vae =
        renameComponent(checkpoint, vaePrefix, ldmVaeKeyMap(countLdmVaeLevels(checkpoint, vaePrefix)));
    parts.vae = std::move(vae.weights);
    append(parts.unmapped, vae.unmapped);
  }
  parts.textEncoder = renameClipText(checkpoint, kLdmTextPrefix, parts.ignored);
  for (const auto& t : checkpoint.tensors()) {
    const std::string& k = t.name;
    if (startsWith(k, kLdmUNetPrefix) || startsWith(k, kLdmTextPrefix) ||
        (!vaePrefix.empty() && startsWith(k, vaePrefix)))
      continue;
    if (startsWith(k, "model_ema.") || kScheduleBuffers.count(k))
      parts.ignored.push_back(k);
    else
      parts.foreign.push_back(k);
  }
  return parts;
}

}  // namespace sm::io
