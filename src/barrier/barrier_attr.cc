#include "barrier/barrier_attr.h"

#include <cerrno>
#include <cstring>

#include "barrier/barrier.h"

namespace bshim {
namespace {

uint32_t load_word(const pthread_barrierattr_t* attr) {
  uint32_t word;
  std::memcpy(&word, attr, sizeof(word));
  return word;
}

bool all_zero(const pthread_barrierattr_t* attr) {
  static constexpr pthread_barrierattr_t kZero{};
  return std::memcmp(attr, &kZero, sizeof(kZero)) == 0;
}

void store_word(pthread_barrierattr_t* attr, uint32_t word) {
  std::memcpy(attr, &word, sizeof(word));
}

}  // namespace

bool decode_barrierattr(const pthread_barrierattr_t* attr, bool* process_shared) {
  if (all_zero(attr)) {  // glibc's default, see barrier_attr.h
    *process_shared = false;
    return true;
  }
  const uint32_t word = load_word(attr);
  if ((word & kAttrTagMask) != kAttrTag || (word & ~kAttrTagMask & ~kAttrSharedBit) != 0) {
    return false;
  }
  *process_shared = (word & kAttrSharedBit) != 0;
  return true;
}

int barrierattr_init(pthread_barrierattr_t* attr) {
  if (attr == nullptr) return EINVAL;
  store_word(attr, kAttrTag);  // PTHREAD_PROCESS_PRIVATE by default
  return 0;
}

int barrierattr_destroy(pthread_barrierattr_t* attr) {
  bool shared;
  if (attr == nullptr || !decode_barrierattr(attr, &shared)) return EINVAL;
  store_word(attr, kAttrDestroyed);  // no tag and not all zeros: init rejects it
  return 0;
}

int barrierattr_getpshared(const pthread_barrierattr_t* attr, int* pshared) {
  bool shared;
  if (attr == nullptr || pshared == nullptr || !decode_barrierattr(attr, &shared)) {
    return EINVAL;
  }
  *pshared = shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;
  return 0;
}

int barrierattr_setpshared(pthread_barrierattr_t* attr, int pshared) {
  bool shared;
  if (attr == nullptr || !decode_barrierattr(attr, &shared)) return EINVAL;
  if (pshared != PTHREAD_PROCESS_SHARED && pshared != PTHREAD_PROCESS_PRIVATE) {
    return EINVAL;
  }
  store_word(attr, kAttrTag | (pshared == PTHREAD_PROCESS_SHARED ? kAttrSharedBit : 0));
  return 0;
}

}  // namespace bshim
