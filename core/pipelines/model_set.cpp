#include "core/pipelines/model_set.h"

#include "core/util/error.h"

namespace sm::pipelines {

void ModelSet::validate() const {
  if (interpolation && custom.empty())
    throw ConfigError("interpolation blends the base with a customized model: give the customized model too");
  if (mergeSpatialAdapters && spatialAdapters.empty())
    throw ConfigError("merging the Spatial Adapters needs Spatial Adapters: give them too");
}

}  // namespace sm::pipelines
