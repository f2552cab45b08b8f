// Encoding of pthread_barrierattr_t (4 bytes): a tag in the high bits, so that
// init rejects an attribute that holds garbage or was destroyed, and the
// pshared value in bit 0.
//
// All-zero bytes are accepted as the default attribute (process-private):
// glibc reads them so (its attribute is a bare pshared int, and
// PTHREAD_PROCESS_PRIVATE is 0), and legacy code relies on it
// (`pthread_barrierattr_t a = {0};` without pthread_barrierattr_init).
// A destroyed attribute is not all zeros: destroy writes kAttrDestroyed.
#pragma once

#include <pthread.h>

#include <cstdint>

namespace bshim {

inline constexpr uint32_t kAttrTag = 0x62617200U;  // "bar\0"
inline constexpr uint32_t kAttrTagMask = 0xffffff00U;
inline constexpr uint32_t kAttrSharedBit = 1U;
inline constexpr uint32_t kAttrDestroyed = 0x64656164U;  // "dead"

static_assert(sizeof(pthread_barrierattr_t) >= sizeof(uint32_t),
              "the attribute encoding needs 4 bytes");

// Decodes a caller's attribute: true and *process_shared on success (an
// initialised attribute, or all-zero bytes), false otherwise.
bool decode_barrierattr(const pthread_barrierattr_t* attr, bool* process_shared);

}  // namespace bshim
