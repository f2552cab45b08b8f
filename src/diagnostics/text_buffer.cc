#include "diagnostics/text_buffer.h"

#include <unistd.h>

#include <cerrno>

namespace bshim {

void TextBuffer::append(const char* bytes, size_t length) {
  const size_t room = capacity_ - size_;
  if (length > room) {
    length = room;
    truncated_ = true;
  }
  for (size_t i = 0; i < length; ++i) storage_[size_ + i] = bytes[i];
  size_ += length;
}

TextBuffer& TextBuffer::text(const char* string) {
  size_t length = 0;
  while (string[length] != '\0') ++length;
  append(string, length);
  return *this;
}

TextBuffer& TextBuffer::character(char c) {
  append(&c, 1);
  return *this;
}

TextBuffer& TextBuffer::decimal(uint64_t value, unsigned width) {
  char digits[20];  // UINT64_MAX has 20 decimal digits
  size_t count = 0;
  do {
    digits[sizeof(digits) - 1 - count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (size_t pad = count; pad < width; ++pad) character(' ');
  append(digits + sizeof(digits) - count, count);
  return *this;
}

TextBuffer& TextBuffer::hex(uint64_t value, unsigned digits) {
  char text[16];  // 64 bits are 16 hex digits
  size_t count = 0;
  do {
    text[sizeof(text) - 1 - count++] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0);
  append("0x", 2);
  for (size_t pad = count; pad < digits && pad < sizeof(text); ++pad) character('0');
  append(text + sizeof(text) - count, count);
  return *this;
}

TextBuffer& TextBuffer::seconds(uint64_t nanoseconds, unsigned decimals) {
  if (decimals > 9) decimals = 9;
  decimal(nanoseconds / 1'000'000'000ULL);
  if (decimals == 0) return *this;
  uint64_t fraction = nanoseconds % 1'000'000'000ULL;
  for (unsigned drop = decimals; drop < 9; ++drop) fraction /= 10;
  character('.');
  char text[9];
  for (unsigned i = decimals; i > 0; --i) {
    text[i - 1] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  append(text, decimals);
  return *this;
}

TextBuffer& TextBuffer::pad_to(size_t column) {
  size_t line_start = size_;
  while (line_start > 0 && storage_[line_start - 1] != '\n') --line_start;
  while (size_ - line_start < column && !truncated_) character(' ');
  return *this;
}

bool write_all(int fd, const char* data, size_t size) {
  const int saved_errno = errno;
  bool written = true;
  while (size != 0) {
    const ssize_t result = write(fd, data, size);
    if (result < 0 && errno == EINTR) continue;
    if (result <= 0) {
      written = false;
      break;
    }
    data += result;
    size -= static_cast<size_t>(result);
  }
  errno = saved_errno;
  return written;
}

}  // namespace bshim
