// A fixed-capacity text formatter for reports written from places where
// printf and stdio are off limits: a barrier wait (possibly inside a signal
// handler) and exit. It never allocates and calls nothing but write(2), so
// everything here is async-signal-safe.
//
// Text that does not fit is dropped from the end and remembered (truncated());
// a report is cut short, never corrupted.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bshim {

// Invariant: size_ <= capacity_, and storage_[0 .. size_) is the text so far.
class TextBuffer {
 public:
  TextBuffer(char* storage, size_t capacity) : storage_(storage), capacity_(capacity) {}
  TextBuffer(const TextBuffer&) = delete;
  TextBuffer& operator=(const TextBuffer&) = delete;

  TextBuffer& text(const char* string);
  // `length` bytes of `bytes`, which need not be terminated.
  TextBuffer& text(const char* bytes, size_t length) {
    append(bytes, length);
    return *this;
  }
  TextBuffer& character(char c);
  // `value` in decimal, right-aligned in at least `width` characters.
  TextBuffer& decimal(uint64_t value, unsigned width = 0);
  // "0x" and `value` in lower-case hexadecimal, zero-padded to `digits`.
  TextBuffer& hex(uint64_t value, unsigned digits = 1);
  // A duration in seconds with `decimals` digits after the point, rounded
  // down: seconds(1'234'567'890, 3) is "1.234". At most 9 decimals.
  TextBuffer& seconds(uint64_t nanoseconds, unsigned decimals);
  // Spaces up to column `column` of the current line (the text after the
  // last '\n'); nothing if the line is already that long.
  TextBuffer& pad_to(size_t column);

  const char* data() const { return storage_; }
  size_t size() const { return size_; }
  bool truncated() const { return truncated_; }
  // Room left, for callers that keep lines whole.
  size_t remaining() const { return capacity_ - size_; }
  void clear() {
    size_ = 0;
    truncated_ = false;
  }
  // Drops what was appended after the text was `size` long (size <= size()).
  void cut_back_to(size_t size) {
    if (size < size_) size_ = size;
    truncated_ = false;
  }

 private:
  void append(const char* bytes, size_t length);

  char* storage_;
  size_t capacity_;
  size_t size_ = 0;
  bool truncated_ = false;
};

// A TextBuffer with its storage inside: for the stack or static memory.
template <size_t kCapacity>
class FixedText : public TextBuffer {
 public:
  FixedText() : TextBuffer(storage_, kCapacity) {}

 private:
  char storage_[kCapacity];
};

// Writes all of data[0 .. size) to `fd`, retrying after EINTR and short
// writes; leaves errno as it found it. False if the descriptor refused.
bool write_all(int fd, const char* data, size_t size);
inline bool write_all(int fd, const TextBuffer& text) {
  return write_all(fd, text.data(), text.size());
}

}  // namespace bshim
