#include "os/priority_boost.h"

#include <atomic>
#include <cerrno>

namespace bshim {
namespace {

bool is_real_time(int policy) {
  policy &= ~SCHED_RESET_ON_FORK;
  return policy == SCHED_FIFO || policy == SCHED_RR;
}

// A thread some unmapper of this process lends its priority to. Several may
// lend to one thread at once (nested handlers, several unmappers): it runs at
// the highest lent priority until the last lender is done, who gives it back
// what it had before the first. Guarded by `lock` (taken with a bounded
// number of tries: a lender in a signal handler on the thread that holds it
// gives up instead of spinning on itself).
struct BoostedThread {
  std::atomic<uint32_t> lock{0};
  pid_t tid = 0;      // 0: free entry
  int lenders = 0;
  int original_policy = 0;
  struct sched_param original_param = {};
  int lent_policy = 0;
  int lent_priority = 0;
};
constexpr int kBoostedThreads = 64;
BoostedThread g_boosted[kBoostedThreads];

bool try_lock(BoostedThread& entry) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    uint32_t expected = 0;
    // acquire: the fields written under the lock by the previous holder.
    if (entry.lock.compare_exchange_weak(expected, 1, std::memory_order_acquire)) return true;
  }
  return false;
}
void unlock(BoostedThread& entry) { entry.lock.store(0, std::memory_order_release); }

// The entry of `tid`, locked; a free one if none (its tid set); or nullptr.
BoostedThread* lock_entry_of(pid_t tid) {
  BoostedThread* free_entry = nullptr;
  for (BoostedThread& entry : g_boosted) {
    if (!try_lock(entry)) continue;
    if (entry.tid == tid) {
      if (free_entry != nullptr) unlock(*free_entry);
      return &entry;
    }
    if (entry.tid == 0 && free_entry == nullptr) {
      free_entry = &entry;  // kept locked
      continue;
    }
    unlock(entry);
  }
  if (free_entry != nullptr) free_entry->tid = tid;
  return free_entry;
}

}  // namespace

void PriorityBoost::lend_to(pid_t tid) {
  if (tid == tid_ || tid <= 0) return;
  end();
  const int saved_errno = errno;  // the wrappers that call this keep errno
  const int mine = sched_getscheduler(0);
  struct sched_param my_param = {};
  if (mine < 0 || !is_real_time(mine) || sched_getparam(0, &my_param) != 0) {
    errno = saved_errno;
    return;
  }
  BoostedThread* entry = lock_entry_of(tid);
  if (entry == nullptr) {
    errno = saved_errno;
    return;
  }
  bool lent = false;
  if (entry->lenders == 0) {
    struct sched_param theirs = {};
    const int policy = sched_getscheduler(tid);
    // Only SCHED_OTHER, BATCH, IDLE, or real-time below us: never a
    // SCHED_DEADLINE thread, which outranks every real-time one and whose
    // settings sched_setscheduler could not give back.
    const int base = policy & ~SCHED_RESET_ON_FORK;
    const bool may_boost = policy >= 0 && sched_getparam(tid, &theirs) == 0 &&
                           (base == SCHED_OTHER || base == SCHED_BATCH || base == SCHED_IDLE ||
                            (is_real_time(policy) &&
                             theirs.sched_priority < my_param.sched_priority));
    if (may_boost && sched_setscheduler(tid, mine & ~SCHED_RESET_ON_FORK, &my_param) == 0) {
      entry->original_policy = policy;
      entry->original_param = theirs;
      entry->lent_policy = mine & ~SCHED_RESET_ON_FORK;
      entry->lent_priority = my_param.sched_priority;
      lent = true;
    }
  } else {
    // Boosted already by another lender: raise it if we rank higher.
    lent = true;
    if (my_param.sched_priority > entry->lent_priority &&
        sched_setscheduler(tid, mine & ~SCHED_RESET_ON_FORK, &my_param) == 0) {
      entry->lent_policy = mine & ~SCHED_RESET_ON_FORK;
      entry->lent_priority = my_param.sched_priority;
    }
  }
  if (lent) {
    ++entry->lenders;
    tid_ = tid;
  } else if (entry->lenders == 0) {
    entry->tid = 0;  // claimed for nothing: free it again
  }
  unlock(*entry);
  errno = saved_errno;
}

void PriorityBoost::end() {
  if (tid_ == 0) return;
  const int saved_errno = errno;
  BoostedThread* entry = lock_entry_of(tid_);
  if (entry != nullptr && entry->lenders > 0 && --entry->lenders == 0) {
    // The last lender gives back what the thread had before the first, unless
    // it changed its settings itself meanwhile (then it keeps them), or
    // exited (ESRCH).
    struct sched_param now = {};
    const int policy = sched_getscheduler(tid_);
    if (policy >= 0 && (policy & ~SCHED_RESET_ON_FORK) == entry->lent_policy &&
        sched_getparam(tid_, &now) == 0 && now.sched_priority == entry->lent_priority) {
      sched_setscheduler(tid_, entry->original_policy, &entry->original_param);
    }
    entry->tid = 0;
  } else if (entry != nullptr && entry->lenders == 0) {
    entry->tid = 0;  // found no boost of ours: nothing to give back
  }
  if (entry != nullptr) unlock(*entry);
  tid_ = 0;
  errno = saved_errno;
}

}  // namespace bshim
