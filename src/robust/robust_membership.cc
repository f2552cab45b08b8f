#include "robust/robust_membership.h"

#include <sys/ipc.h>
#include <sys/sem.h>

#include <atomic>
#include <cerrno>

#include "os/environment.h"

namespace bshim {
namespace {

RobustConfig g_robust_config;

constexpr unsigned short kLiveMembers = 0;
constexpr unsigned short kJoinedMembers = 1;

// The sets this process has joined, stored as id + 1 (0: free entry). Shared
// by the process's threads; 128 robust barriers in use at once per process
// is far beyond what programs do, and overflow only loses detection.
constexpr int kJoinedTableSize = 128;
std::atomic<uint32_t> g_joined_plus_one[kJoinedTableSize];

// The set this thread last joined or found joined, + 1: one compare per wait.
__thread uint32_t t_joined_cache __attribute__((tls_model("initial-exec")));

bool recorded_as_joined(uint32_t plus_one) {
  for (const std::atomic<uint32_t>& entry : g_joined_plus_one) {
    // relaxed: the table only saves repeated joins; a stale miss joins again,
    // which keeps live and joined in step and is harmless.
    if (entry.load(std::memory_order_relaxed) == plus_one) return true;
  }
  return false;
}

// True if the set no longer exists (removed by a destroy in any process).
bool set_removed(uint32_t plus_one) {
  const int saved_errno = errno;
  const bool removed = semctl(static_cast<int>(plus_one - 1), 0, GETVAL) < 0 &&
                       (errno == EINVAL || errno == EIDRM);
  errno = saved_errno;
  return removed;
}

void record_as_joined(uint32_t plus_one) {
  for (std::atomic<uint32_t>& entry : g_joined_plus_one) {
    uint32_t expected = 0;
    // relaxed: see recorded_as_joined.
    if (entry.compare_exchange_strong(expected, plus_one, std::memory_order_relaxed)) return;
    if (expected == plus_one) return;
  }
  // Full: entries of sets destroyed by other processes stay until reclaimed
  // here (one system call per entry, on a first join only).
  for (std::atomic<uint32_t>& entry : g_joined_plus_one) {
    uint32_t stale = entry.load(std::memory_order_relaxed);
    if (stale != 0 && set_removed(stale) &&
        entry.compare_exchange_strong(stale, plus_one, std::memory_order_relaxed)) {
      return;
    }
  }
}

}  // namespace

const RobustConfig& robust_config() { return g_robust_config; }

void configure_robust_mode() {
  g_robust_config.enabled = setting_switch("BARRIER_SHIM_ROBUST", "robust mode");
  constexpr uint64_t kDefaultBoundMs = RobustConfig{}.bound_ns / 1'000'000;
  const uint64_t bound_ms =
      setting_number("BARRIER_SHIM_ROBUST_MS", 1, 3'600'000, kDefaultBoundMs);
  g_robust_config.bound_ns = bound_ms * 1'000'000;
  const uint64_t quarter = g_robust_config.bound_ns / 4;
  g_robust_config.check_interval_ns = quarter < 1'000'000 ? 1'000'000 : quarter;
}

int create_membership(uint32_t* semaphore_id) {
  const int saved_errno = errno;
  // Both counters start at 0 (Linux initialises a new set to zero).
  const int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
  const int error = errno;
  errno = saved_errno;
  if (id < 0) return error == ENOSPC ? EAGAIN : error;
  *semaphore_id = static_cast<uint32_t>(id);
  return 0;
}

void remove_membership(uint32_t semaphore_id) {
  const int saved_errno = errno;
  semctl(static_cast<int>(semaphore_id), 0, IPC_RMID);
  errno = saved_errno;
  const uint32_t plus_one = semaphore_id + 1;
  for (std::atomic<uint32_t>& entry : g_joined_plus_one) {
    uint32_t expected = plus_one;
    entry.compare_exchange_strong(expected, 0, std::memory_order_relaxed);
  }
  if (t_joined_cache == plus_one) t_joined_cache = 0;
}

void join_membership(uint32_t semaphore_id) {
  const uint32_t plus_one = semaphore_id + 1;
  if (t_joined_cache == plus_one) return;
  if (!recorded_as_joined(plus_one)) {
    struct sembuf join[2] = {
        {kLiveMembers, 1, SEM_UNDO},  // taken back by the kernel at our exit
        {kJoinedMembers, 1, 0},       // never taken back
    };
    const int saved_errno = errno;
    // Applies both or neither. A failure (ENOMEM for the undo record, EACCES,
    // EIDRM, ERANGE) leaves this process unjoined; the wait goes on.
    if (semop(static_cast<int>(semaphore_id), join, 2) == 0) record_as_joined(plus_one);
    errno = saved_errno;
  }
  // Even after a failed join: one attempt per thread and barrier, so a
  // failing join never costs every wait a system call.
  t_joined_cache = plus_one;
}

bool membership_lost_a_member(uint32_t semaphore_id) {
  const int id = static_cast<int>(semaphore_id);
  const int saved_errno = errno;
  // Joined first, then live: joined only grows, and live moves only with a
  // join (joined too) or a death, so joined-then > live-now means a death
  // even if a process joined between the reads. GETVAL, not GETALL: no
  // buffer to overrun should the id ever name a bigger set.
  const int joined = semctl(id, kJoinedMembers, GETVAL);
  const int live = joined < 0 ? -1 : semctl(id, kLiveMembers, GETVAL);
  errno = saved_errno;
  return joined >= 0 && live >= 0 && joined > live;
}

int other_live_members(uint32_t semaphore_id) {
  const int saved_errno = errno;
  const int live = semctl(static_cast<int>(semaphore_id), kLiveMembers, GETVAL);
  errno = saved_errno;
  if (live < 0) return -1;
  const int own = recorded_as_joined(semaphore_id + 1) ? 1 : 0;
  return live > own ? live - own : 0;
}

void forget_memberships_in_child() {
  for (std::atomic<uint32_t>& entry : g_joined_plus_one) {
    entry.store(0, std::memory_order_relaxed);
  }
  t_joined_cache = 0;
}

}  // namespace bshim
