// A barrier's generation: its identity across re-initialisation of the same
// bytes (src/barrier/generation.h).
#include <gtest/gtest.h>

#include <pthread.h>

#include <cstring>
#include <set>

#include "barrier/barrier.h"
#include "barrier/generation.h"
#include "contract/barrier_layout.h"

namespace {

TEST(Generation, NewGenerationIsNeverZeroThePreviousOrItsBreakSuccessor) {
  for (uint32_t previous : {0U, 1U, 0xffffffffU, 0x12345678U}) {
    for (int i = 0; i < 100000; ++i) {
      const uint32_t generation = bshim::new_generation(previous);
      ASSERT_NE(generation, 0U);
      ASSERT_NE(generation, previous);
      ASSERT_NE(generation, bshim::successor_after_break(previous));
    }
  }
}

TEST(Generation, GenerationsSpreadOverTheWholeRange) {
  // Identity needs only "not the previous one at these bytes" (above); a
  // well-mixed 32-bit value also keeps stragglers of unrelated barriers apart.
  // Among 10^5 random 32-bit values about 1.2 repeats are expected (birthday
  // bound); a counter with poor mixing would repeat far more, or never vary
  // its high bits.
  std::set<uint32_t> seen;
  uint32_t high_bits_seen = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint32_t generation = bshim::new_generation(0);
    seen.insert(generation);
    high_bits_seen |= generation & 0xff000000U;
  }
  EXPECT_GE(seen.size(), 100000U - 10);
  EXPECT_EQ(high_bits_seen, 0xff000000U);
}

TEST(Generation, SuccessorAfterBreakIsNeitherZeroNorTheSame) {
  for (uint32_t broken : {1U, 2U, 0x5bd1e995U, 0xffffffffU, 0x80000000U}) {
    EXPECT_NE(bshim::successor_after_break(broken), 0U);
    EXPECT_NE(bshim::successor_after_break(broken), broken);
  }
}

TEST(Generation, ReinitialisingTheSameBytesChangesTheGenerationAndTheCheck) {
  pthread_barrier_t barrier;
  std::memset(&barrier, 0, sizeof(barrier));
  const auto* object = reinterpret_cast<const bshim::BarrierObject*>(&barrier);
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 3), 0);
  const uint32_t first = object->generation.load();
  const uint64_t first_check = object->check.load();
  ASSERT_EQ(bshim::barrier_destroy(&barrier), 0);
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 3), 0);  // same count, flags
  EXPECT_NE(object->generation.load(), first);
  EXPECT_NE(object->check.load(), first_check);
  std::memset(&barrier, 0, sizeof(barrier));  // zeroed: the old one is forgotten
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 3), 0);
  EXPECT_NE(object->generation.load(), 0U);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

}  // namespace
