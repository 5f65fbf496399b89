#include "core/toyworld/toy_model_files.h"

#include <unistd.h>

#include <cstdlib>
#include <system_error>

namespace sm::toyworld {

bool ToyModelFiles::hasBase() const {
  return std::filesystem::exists(base() / "model_index.json") && std::filesystem::exists(motionModule()) &&
         std::filesystem::exists(tokenizer() / "vocab.json");
}

std::optional<ToyModelFiles> shippedToyWorld() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("SM_TOYWORLD"); env && *env) candidates.emplace_back(env);
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "share" / "stillmoving" / "toyworld");
    // A build tree: <source>/build/app/stillmoving.
    candidates.push_back(exe.parent_path().parent_path().parent_path() / "resources" / "toyworld");
  }
#ifdef SM_SOURCE_DIR
  candidates.push_back(std::filesystem::path(SM_SOURCE_DIR) / "resources" / "toyworld");
#endif
  for (const auto& c : candidates) {
    ToyModelFiles files{c};
    if (files.hasBase()) return files;
  }
  return std::nullopt;
}

}  // namespace sm::toyworld
