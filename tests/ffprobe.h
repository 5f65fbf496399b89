#pragma once
// The ffprobe binary (Debian package ffmpeg) checks written videos
// independently of our own reader.
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

namespace sm::test {

/// Standard output of a shell command.
inline std::string runCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  pclose(pipe);
  return output;
}

inline bool haveFfprobe() { return runCommand("ffprobe -version 2>/dev/null").starts_with("ffprobe"); }

/// `ffprobe` on the first video stream, as key -> value (frames counted by decoding).
inline std::map<std::string, std::string> ffprobe(const std::filesystem::path& file) {
  const std::string command =
      "ffprobe -v error -select_streams v:0 -count_frames -show_entries "
      "stream=codec_name,pix_fmt,width,height,r_frame_rate,nb_frames,nb_read_frames -of default=noprint_wrappers=1 '" +
      file.string() + "' 2>/dev/null";
  std::map<std::string, std::string> fields;
  std::istringstream lines(runCommand(command));
  for (std::string line; std::getline(lines, line);) {
    const size_t equals = line.find('=');
    if (equals != std::string::npos) fields[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return fields;
}

}  // namespace sm::test
