#pragma once
// Exit statuses of `stillmoving`, documented in the README.
namespace sm::cli {
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   ///< an unexpected internal error (a bug: please report it)
inline constexpr int kExitBadInput = 2;  ///< bad command line, or an input file that is broken or unknown
inline constexpr int kExitCancelled = 130;
}  // namespace sm::cli
