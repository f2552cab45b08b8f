// Helpers shared by the unit tests: barrier memory in its own pages, and a
// round checker that records what every participant saw.
#pragma once

#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "barrier/barrier.h"
#include "threads/thread_records.h"

namespace bshim_test {

// What the shim's constructor does before any wait: records are freed at
// thread exit and wiped in fork children. Without it, the unit tests' many
// short-lived threads would fill the record table (their records never
// freed), and later waits would go untracked. Runs before main.
inline const bool kThreadRecordsPrepared = [] {
  bshim::prepare_thread_records();
  return true;
}();

// A page of its own, so a test can unmap it without touching anything else.
inline pthread_barrier_t* map_barrier_page(bool shared = false) {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                    (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
  return page == MAP_FAILED ? nullptr : static_cast<pthread_barrier_t*>(page);
}

inline void unmap_barrier_page(pthread_barrier_t* barrier) { munmap(barrier, 4096); }

// A process-shared barrier of `count` in a MAP_SHARED page of its own (the
// object wait path), or nullptr if the page or init failed.
inline pthread_barrier_t* shared_barrier_in_page(unsigned count) {
  pthread_barrier_t* barrier = map_barrier_page(/*shared=*/true);
  if (barrier == nullptr) return nullptr;
  pthread_barrierattr_t attr;
  bshim::barrierattr_init(&attr);
  bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (bshim::barrier_init(barrier, &attr, count) != 0) {
    unmap_barrier_page(barrier);
    return nullptr;
  }
  return barrier;
}

// How long a test repeats a round whose outcome needs a prompt wake-up
// (a loaded machine delays most of them), before it gives up.
inline constexpr uint64_t kRetryForNs = 3'000'000'000;

// Polls (bounded, about 5 s) until `condition` holds.
template <typename Condition>
bool eventually(Condition condition) {
  const timespec nap{0, 1'000'000};
  for (int i = 0; i < 5000; ++i) {
    if (condition()) return true;
    nanosleep(&nap, nullptr);
  }
  return false;
}

// Runs `body(index)` on `count` threads and joins them.
inline void run_threads(unsigned count, const std::function<void(unsigned)>& body) {
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < count; ++i) threads.emplace_back(body, i);
  for (auto& thread : threads) thread.join();
}

// Starts a thread that makes its cancellation type asynchronous and waits at
// `barrier` (bshim::barrier_wait); *thread is 0-initialised on failure.
inline bool start_asynchronously_cancellable_waiter(pthread_barrier_t* barrier,
                                                    pthread_t* thread) {
  return pthread_create(
             thread, nullptr,
             [](void* waited) -> void* {
               pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, nullptr);
               bshim::barrier_wait(static_cast<pthread_barrier_t*>(waited));
               return nullptr;
             },
             barrier) == 0;
}

// The calling thread's cancellation type now, left as it was.
inline int cancel_type_now() {
  int type = 0;
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
  pthread_setcanceltype(type, nullptr);
  return type;
}

// Per-round bookkeeping: arrivals counted before the wait, so a participant
// that returns before everyone arrived sees fewer than `count`.
struct RoundLedger {
  explicit RoundLedger(unsigned rounds) : arrived(rounds), serials(rounds), early(0) {}
  std::vector<std::atomic<unsigned>> arrived;
  std::vector<std::atomic<unsigned>> serials;
  std::atomic<unsigned> early;
};

}  // namespace bshim_test
