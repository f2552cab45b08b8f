#include "os/environment.h"

#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace bshim {
namespace {

constexpr const char kPrefix[] = "BARRIER_SHIM_";
constexpr size_t kPrefixLength = sizeof(kPrefix) - 1;

// Every variable the library reads (the modules that read them name them
// again; doc/barrier-shim.1 documents each one).
constexpr const char* kKnownSettings[] = {
    "BARRIER_SHIM_SPIN_NS",  "BARRIER_SHIM_SPIN_MIN_NS", "BARRIER_SHIM_SPIN_MAX_NS",
    "BARRIER_SHIM_YIELDS",   "BARRIER_SHIM_WATCHDOG",    "BARRIER_SHIM_STATS",
    "BARRIER_SHIM_PROFILE",  "BARRIER_SHIM_ROBUST",      "BARRIER_SHIM_ROBUST_MS",
    "BARRIER_SHIM_ARRIVAL_TREE",
};

constexpr size_t kLongestValueShown = 200;

// A line built in a fixed buffer: the environment is read before anything
// could allocate safely, and the os layer has no formatter of its own.
class Line {
 public:
  Line& text(const char* string, size_t most = SIZE_MAX) {
    for (size_t i = 0; string[i] != '\0' && i < most; ++i) {
      const char c = string[i];
      character((c >= 0 && c < ' ') || c == 0x7f ? '?' : c);
    }
    return *this;
  }
  Line& character(char c) {
    if (size_ + 1 < sizeof(storage_)) storage_[size_++] = c;  // one byte kept for '\0'
    return *this;
  }
  Line& number(uint64_t value) {
    char digits[20];
    size_t count = 0;
    do {
      digits[count++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (count > 0) character(digits[--count]);
    return *this;
  }
  const char* c_str() {
    storage_[size_] = '\0';
    return storage_;
  }
  void write_to_stderr() const {
    size_t written = 0;
    while (written < size_) {
      const ssize_t result = write(STDERR_FILENO, storage_ + written, size_ - written);
      if (result <= 0) return;  // nowhere to warn: the program's stderr is closed
      written += static_cast<size_t>(result);
    }
  }

 private:
  char storage_[1024];
  size_t size_ = 0;
};

size_t length_of(const char* text) {
  size_t length = 0;
  while (text[length] != '\0') ++length;
  return length;
}

// Edit distance (insert, delete, substitute) between two short names,
// capped at 9: enough to tell a slip from another word.
unsigned distance(const char* a, size_t a_length, const char* b, size_t b_length) {
  constexpr size_t kLongest = 48;
  if (a_length >= kLongest || b_length >= kLongest) return 9;
  unsigned row[kLongest];
  for (size_t j = 0; j <= b_length; ++j) row[j] = static_cast<unsigned>(j);
  for (size_t i = 1; i <= a_length; ++i) {
    unsigned diagonal = row[0];
    row[0] = static_cast<unsigned>(i);
    for (size_t j = 1; j <= b_length; ++j) {
      const unsigned above = row[j];
      const unsigned substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      const unsigned removed = above + 1;
      const unsigned inserted = row[j - 1] + 1;
      unsigned best = substitute < removed ? substitute : removed;
      if (inserted < best) best = inserted;
      row[j] = best;
      diagonal = above;
    }
  }
  return row[b_length] < 9 ? row[b_length] : 9;
}

}  // namespace

const char* setting_text(const char* name) {
  const char* text = std::getenv(name);
  return text == nullptr || text[0] == '\0' ? nullptr : text;
}

void warn_about_setting(const char* name, const char* value, const char* problem,
                        const char* instead) {
  Line line;
  line.text("barrier-shim: ").text(name).text("=\"").text(value, kLongestValueShown);
  if (length_of(value) > kLongestValueShown) line.text("...");
  line.text("\" ").text(problem).text("; ").text(instead).character('\n');
  line.write_to_stderr();
}

bool looks_like_path(const char* value) {
  for (const char* cursor = value; *cursor != '\0'; ++cursor) {
    if (*cursor == '/' || *cursor == '.') return true;
  }
  return false;
}

bool parse_decimal(const char* text, uint64_t highest, uint64_t* value) {
  if (text == nullptr || *text == '\0') return false;
  uint64_t parsed = 0;
  for (const char* cursor = text; *cursor != '\0'; ++cursor) {
    if (*cursor < '0' || *cursor > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(*cursor - '0');
    if (parsed > (highest - digit) / 10) return false;  // beyond highest (or overflow)
    parsed = parsed * 10 + digit;
  }
  *value = parsed;
  return true;
}

uint64_t setting_number(const char* name, uint64_t lowest, uint64_t highest,
                        uint64_t fallback) {
  const char* text = setting_text(name);
  if (text == nullptr) return fallback;
  uint64_t parsed = 0;
  if (parse_decimal(text, highest, &parsed) && parsed >= lowest) return parsed;
  Line problem;
  problem.text("is not a whole number from ").number(lowest).text(" to ").number(highest);
  Line instead;
  instead.text("using the default, ").number(fallback);
  warn_about_setting(name, text, problem.c_str(), instead.c_str());
  return fallback;
}

bool setting_switch(const char* name, const char* what) {
  const char* text = setting_text(name);
  if (text == nullptr) return false;
  if (text[0] == '1' && text[1] == '\0') return true;
  if (text[0] == '0' && text[1] == '\0') return false;
  Line instead;
  instead.text(what).text(" is off");
  warn_about_setting(name, text, "is not 0 or 1", instead.c_str());
  return false;
}

void report_unknown_settings() {
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const char* variable = *entry;
    if (std::strncmp(variable, kPrefix, kPrefixLength) != 0) continue;
    const char* equals = std::strchr(variable, '=');
    const size_t name_length =
        equals != nullptr ? static_cast<size_t>(equals - variable) : length_of(variable);
    const char* nearest = nullptr;
    unsigned nearest_distance = 9;
    bool known = false;
    for (const char* setting : kKnownSettings) {
      const size_t setting_length = length_of(setting);
      if (setting_length == name_length && std::strncmp(setting, variable, name_length) == 0) {
        known = true;
        break;
      }
      const unsigned apart = distance(variable + kPrefixLength, name_length - kPrefixLength,
                                      setting + kPrefixLength, setting_length - kPrefixLength);
      if (apart < nearest_distance) {
        nearest_distance = apart;
        nearest = setting;
      }
    }
    if (known) continue;
    Line line;
    line.text("barrier-shim: ").text(variable, name_length < 100 ? name_length : 100);
    line.text("=\"").text(equals != nullptr ? equals + 1 : "", kLongestValueShown);
    line.text("\" is not a setting of barrier-shim");
    if (nearest != nullptr && nearest_distance <= 3) line.text(" (did you mean ").text(nearest).character(')');
    line.text("; ignored").character('\n');
    line.write_to_stderr();
  }
}

}  // namespace bshim
