// An arrival that finds its round full (more threads than the count use the
// barrier) is discarded: it waits for the round's reset and arrives again,
// in the next round. All that time its thread is blocked in the barrier, so
// init and destroy answer EBUSY (src/barrier/blocked_waiters.h), however
// long it takes to notice the reset (a nap, preemption, a signal handler).
#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <thread>

#include "arrival_word.h"
#include "barrier/barrier.h"
#include "test_support.h"
#include "barrier/barrier_object_access.h"
#include "barrier/wait_on_wake_slot.h"
#include "contract/barrier_layout.h"
#include "threads/thread_records.h"

namespace {

std::atomic<bool> g_held{false};
std::atomic<bool> g_let_go{false};

// Keeps the interrupted thread where the signal found it until let go.
void hold_here(int) {
  g_held.store(true);
  const timespec nap{0, 1'000'000};
  while (!g_let_go.load()) nanosleep(&nap, nullptr);
}

// What the scenario checks while the third thread waits for the reset.
using Check = std::function<void(pthread_barrier_t*)>;

// `barrier` (count 2) has a full round whose completer has counted its
// arrival and not reset the arrivals yet (the test plays it: `complete`
// resets and releases the round). A third thread arrives, is discarded, and
// is held (a signal handler) inside its wait for the reset; the round is
// completed; `check` runs; the third thread is let go, arrives in the next
// round, and the main thread completes that round with it.
void with_a_held_overfull_arrival(pthread_barrier_t* barrier,
                                  const std::function<void(uint32_t next_round)>& complete,
                                  const Check& check) {
  g_held.store(false);
  g_let_go.store(false);
  std::atomic<uint64_t>& arrivals = bshim_test::arrival_word_of(barrier);
  const uint32_t full_round = bshim::round_of(arrivals.load());
  const uint32_t next_round = bshim::next_round(full_round);
  arrivals.store(bshim::state_for_round(full_round) | 2);
  struct sigaction hold {};
  hold.sa_handler = hold_here;
  ASSERT_EQ(sigaction(SIGUSR1, &hold, nullptr), 0);
  std::atomic<int> third_result{-1};
  std::thread third([&] { third_result.store(bshim::barrier_wait(barrier)); });
  ASSERT_TRUE(bshim_test::eventually([&] { return bshim::arrivals_of(arrivals.load()) == 3; }))
      << "the third arrival never landed in the full round";
  // Its arrival was discarded; it waits for the reset. Keep it there.
  ASSERT_EQ(pthread_kill(third.native_handle(), SIGUSR1), 0);
  ASSERT_TRUE(bshim_test::eventually([] { return g_held.load(); }));

  complete(next_round);
  check(barrier);

  g_let_go.store(true);
  ASSERT_TRUE(bshim_test::eventually([&] {
    const uint64_t word = bshim_test::arrival_word_of(barrier).load();
    return bshim::round_of(word) == next_round && bshim::arrivals_of(word) == 1;
  })) << "the third thread did not arrive in the next round";
  const int main_result = bshim::barrier_wait(barrier);
  third.join();
  signal(SIGUSR1, SIG_DFL);
  EXPECT_TRUE(main_result == 0 || main_result == PTHREAD_BARRIER_SERIAL_THREAD) << main_result;
  EXPECT_TRUE(third_result == 0 || third_result == PTHREAD_BARRIER_SERIAL_THREAD) << third_result;
  EXPECT_EQ((main_result == PTHREAD_BARRIER_SERIAL_THREAD) +
                (third_result == PTHREAD_BARRIER_SERIAL_THREAD),
            1);
}

// A private barrier of 2 and the wake slot it arrives on.
void init_private_barrier_of_two(pthread_barrier_t* barrier, bshim::WakeSlot** slot) {
  ASSERT_EQ(bshim::barrier_init(barrier, nullptr, 2), 0);
  bshim::BarrierConstants constants;
  ASSERT_TRUE(bshim::load_live_barrier(barrier, &constants));
  *slot = bshim::owned_wake_slot(barrier, constants);
  ASSERT_NE(*slot, nullptr) << "a private barrier arrives on its wake slot";
}

TEST(OverfullArrival, IsBlockedWhileItWaitsForTheFullRoundsResetOnTheWakeSlot) {
  bshim::prepare_thread_records();
  pthread_barrier_t barrier;
  bshim::WakeSlot* slot = nullptr;
  ASSERT_NO_FATAL_FAILURE(init_private_barrier_of_two(&barrier, &slot));
  with_a_held_overfull_arrival(
      &barrier,
      [slot](uint32_t next_round) {
        slot->arrivals.store(bshim::state_for_round(next_round));
        bshim::wake_slot_detail::advance_open_round(*slot, next_round);
      },
      [](pthread_barrier_t* barrier) {
        EXPECT_EQ(bshim::barrier_destroy(barrier), EBUSY)
            << "the third thread is inside the wait, about to arrive in the next round";
        EXPECT_EQ(bshim::barrier_init(barrier, nullptr, 2), EBUSY)
            << "the third thread is inside the wait, about to arrive in the next round";
      });
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(OverfullArrival, IsBlockedWhileItWaitsForTheFullRoundsResetOnTheObject) {
  bshim::prepare_thread_records();
  pthread_barrier_t* barrier = bshim_test::shared_barrier_in_page(2);
  ASSERT_NE(barrier, nullptr);
  bshim::BarrierObject* object = bshim::as_object(barrier);
  with_a_held_overfull_arrival(
      barrier,
      [object](uint32_t next_round) {
        object->state.store(bshim::state_for_round(next_round));
      },
      [](pthread_barrier_t* barrier) {
        pthread_barrierattr_t attr;
        bshim::barrierattr_init(&attr);
        bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        const int init_result = bshim::barrier_init(barrier, &attr, 2);
        EXPECT_EQ(init_result, EBUSY)
            << "the third thread is inside the wait, about to arrive in the next round";
        // (Were it not counted, destroy would wait for its exit window,
        // which the held thread keeps open.)
        if (init_result == EBUSY) {
          EXPECT_EQ(bshim::barrier_destroy(barrier), EBUSY);
        }
      });
  EXPECT_EQ(bshim::barrier_destroy(barrier), 0);
  bshim_test::unmap_barrier_page(barrier);
}

// An arrival discarded from a full round counts in no round while it waits
// for the round's reset, so a thread that asked for asynchronous
// cancellation is cancellable there, as the caller chose, and leaves no
// arrival behind (a tree's discarded arrivals wait so too). Were
// cancellation deferred over that wait, a request would wait for the
// completer, however long it is held, and act only once the thread had
// arrived again: the next round would then complete with a thread that no
// longer exists.
TEST(OverfullArrival, AnAsynchronouslyCancellableOneIsCancelledWhileItWaitsForTheReset) {
  bshim::prepare_thread_records();
  pthread_barrier_t barrier;
  bshim::WakeSlot* slot = nullptr;
  ASSERT_NO_FATAL_FAILURE(init_private_barrier_of_two(&barrier, &slot));
  std::atomic<uint64_t>& arrivals = slot->arrivals;
  const uint32_t full_round = bshim::round_of(arrivals.load());
  const uint32_t next_round = bshim::next_round(full_round);
  // Its completer has counted its arrival and not reset the word yet.
  arrivals.store(bshim::state_for_round(full_round) | 2);
  pthread_t third;
  ASSERT_TRUE(bshim_test::start_asynchronously_cancellable_waiter(&barrier, &third));
  ASSERT_TRUE(bshim_test::eventually([&] { return bshim::arrivals_of(arrivals.load()) == 3; }))
      << "the third arrival never landed in the full round";
  ASSERT_EQ(pthread_cancel(third), 0);
  void* result = nullptr;
  const bool gone_before_the_reset =
      bshim_test::eventually([&] { return pthread_tryjoin_np(third, &result) == 0; });
  // The completer's reset and release, played here.
  arrivals.store(bshim::state_for_round(next_round));
  bshim::wake_slot_detail::advance_open_round(*slot, next_round);
  if (!gone_before_the_reset) pthread_join(third, &result);
  EXPECT_TRUE(gone_before_the_reset) << "the request waited for the full round's reset";
  EXPECT_EQ(result, PTHREAD_CANCELED);
  EXPECT_EQ(bshim::arrivals_of(arrivals.load()), 0u)
      << "the cancelled thread arrived in the next round before it went";
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

}  // namespace
