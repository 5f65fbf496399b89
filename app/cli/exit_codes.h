#pragma once
// Exit statuses of `stillmoving`, documented in the README and in --help.
// Scripts can tell apart what the user can fix in the command (2), in an input
// file (3), on the machine (4), and what needs a bug report (1).
namespace sm::cli {
inline constexpr int kExitOk = 0;
inline constexpr int kExitBug = 1;    ///< an unexpected internal error (a bug: please report it)
inline constexpr int kExitUsage = 2;  ///< the command line or a setting is wrong, or the request is refused
inline constexpr int kExitBadInput =
    3;  ///< an input file or folder is missing, unreadable, broken or of the wrong kind
inline constexpr int kExitResources = 4;  ///< not enough memory, the output cannot be written, the folder is busy
inline constexpr int kExitCancelled = 130;
}  // namespace sm::cli
