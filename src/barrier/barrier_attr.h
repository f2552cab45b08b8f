// Encoding of pthread_barrierattr_t (4 bytes): a tag in the high bits, so that
// init rejects an attribute that was never initialised or was destroyed, and
// the pshared value in bit 0.
#pragma once

#include <pthread.h>

#include <cstdint>

namespace bshim {

inline constexpr uint32_t kAttrTag = 0x62617200U;  // "bar\0"
inline constexpr uint32_t kAttrTagMask = 0xffffff00U;
inline constexpr uint32_t kAttrSharedBit = 1U;

static_assert(sizeof(pthread_barrierattr_t) >= sizeof(uint32_t),
              "the attribute encoding needs 4 bytes");

// Decodes a caller's attribute: true and *process_shared on success, false
// if it is not an initialised attribute.
bool decode_barrierattr(const pthread_barrierattr_t* attr, bool* process_shared);

}  // namespace bshim
