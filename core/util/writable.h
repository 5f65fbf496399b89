#pragma once
// Checking, before any work starts, that the result can be written where the
// user asked: hours of training or generation must not end in "read-only".
#include <string>

namespace sm::util {

/// `file` is to be written: its folder must exist (else ConfigError naming
/// it) and be writable (else FileWriteError: read-only, no permission).
void requireWritableFile(const std::string& file);

/// `folder` is to be created or filled: it must be a folder or not exist yet,
/// and the folder that holds it (or, when missing, its nearest existing
/// ancestor, where it will be created) must be writable. Throws as above.
void requireWritableFolder(const std::string& folder);

}  // namespace sm::util
