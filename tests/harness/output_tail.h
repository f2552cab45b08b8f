// Passes a program's output through to our stdout and keeps its last
// non-empty line, which is usually the program's own verdict.
#pragma once

#include <cstddef>
#include <string>

namespace watchdog {

class OutputTail {
 public:
  void feed(const char* bytes, std::size_t size);
  std::string last_line() const;

 private:
  static constexpr std::size_t kMaxLine = 400;
  std::string partial_;
  std::string last_;
};

}  // namespace watchdog
