// Reading the BARRIER_SHIM_* settings: load time only (getenv is neither
// async-signal-safe nor safe against a concurrent setenv).
#pragma once

#include <cstdint>
#include <cstdlib>

namespace bshim {

// The decimal number in environment variable `name`, or `fallback` when it
// is unset, empty, or not entirely digits.
inline uint64_t environment_number_or(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  return (end != nullptr && *end == '\0') ? value : fallback;
}

}  // namespace bshim
