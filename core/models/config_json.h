#pragma once
// The model configs read their config.json through core/io's typed reader;
// these names let them say readJsonFile / ConfigReader inside sm::models.
#include "core/io/json_file.h"

namespace sm::models {

using io::ConfigReader;
using io::readJsonFile;

}  // namespace sm::models
