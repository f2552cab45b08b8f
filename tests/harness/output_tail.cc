#include "output_tail.h"

#include <unistd.h>

#include <cerrno>

namespace watchdog {
namespace {

void write_all(int fd, const char* bytes, std::size_t size) {
  while (size > 0) {
    ssize_t written = write(fd, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // our own output is gone: keep watching anyway
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

void OutputTail::feed(const char* bytes, std::size_t size) {
  write_all(STDOUT_FILENO, bytes, size);
  for (std::size_t i = 0; i < size; ++i) {
    if (bytes[i] != '\n') {
      if (partial_.size() < kMaxLine) partial_ += bytes[i];
      continue;
    }
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (!is_blank(partial_)) last_ = partial_;
    partial_.clear();
  }
}

std::string OutputTail::last_line() const {
  return is_blank(partial_) ? last_ : partial_;
}

}  // namespace watchdog
