// Robust mode: membership by System V semaphore with SEM_UNDO, and the broken
// state of a barrier whose participant process died.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "barrier/barrier.h"
#include "robust/robust_membership.h"

namespace {

// Runs `child` in a forked process that exits with its result; returns it.
template <typename Body>
int in_child(Body child) {
  const pid_t pid = fork();
  if (pid == 0) _exit(child());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool semaphore_set_exists(uint32_t id) {
  struct semid_ds status;
  union {
    int value;
    struct semid_ds* status;
  } argument;
  argument.status = &status;
  return semctl(static_cast<int>(id), 0, IPC_STAT, argument) == 0;
}

TEST(RobustMembership, AJoinedProcessThatEndsIsMissed) {
  uint32_t id;
  ASSERT_EQ(bshim::create_membership(&id), 0);
  EXPECT_FALSE(bshim::membership_lost_a_member(id));
  EXPECT_EQ(in_child([&] { bshim::join_membership(id); return 0; }), 0);
  EXPECT_TRUE(bshim::membership_lost_a_member(id));
  bshim::remove_membership(id);
}

TEST(RobustMembership, LiveJoinedProcessesAreNotMissed) {
  uint32_t id;
  ASSERT_EQ(bshim::create_membership(&id), 0);
  bshim::join_membership(id);
  bshim::join_membership(id);  // once per process: the second is a no-op
  EXPECT_FALSE(bshim::membership_lost_a_member(id));
  EXPECT_EQ(in_child([&] { return bshim::membership_lost_a_member(id) ? 1 : 0; }), 0);
  bshim::remove_membership(id);
}

TEST(RobustMembership, AForkChildJoinsOnItsOwnAfterForgetting) {
  uint32_t id;
  ASSERT_EQ(bshim::create_membership(&id), 0);
  bshim::join_membership(id);
  // The child inherits the parent's record of having joined, not its undo.
  EXPECT_EQ(in_child([&] {
              bshim::forget_memberships_in_child();
              bshim::join_membership(id);
              return 0;
            }),
            0);
  EXPECT_TRUE(bshim::membership_lost_a_member(id));
  bshim::remove_membership(id);
}

TEST(RobustMembership, RemovedSetIsGoneAndReadsAsNoLoss) {
  uint32_t id;
  ASSERT_EQ(bshim::create_membership(&id), 0);
  EXPECT_TRUE(semaphore_set_exists(id));
  bshim::remove_membership(id);
  EXPECT_FALSE(semaphore_set_exists(id));
  EXPECT_FALSE(bshim::membership_lost_a_member(id));
}

// Robust mode on for one test, off again after it (the setting is global).
class RobustBarrier : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("BARRIER_SHIM_ROBUST", "1", 1);
    setenv("BARRIER_SHIM_ROBUST_MS", "100", 1);
    bshim::configure_robust_mode();
    memory_ = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(memory_, MAP_FAILED);
    barrier_ = static_cast<pthread_barrier_t*>(memory_);
    ASSERT_EQ(bshim::barrierattr_init(&attr_), 0);
    ASSERT_EQ(bshim::barrierattr_setpshared(&attr_, PTHREAD_PROCESS_SHARED), 0);
  }
  void TearDown() override {
    unsetenv("BARRIER_SHIM_ROBUST");
    unsetenv("BARRIER_SHIM_ROBUST_MS");
    bshim::configure_robust_mode();
    munmap(memory_, 4096);
  }
  uint32_t semaphore_id() const {
    return reinterpret_cast<const uint32_t*>(barrier_)[4];  // barrier_layout.h, offset 16
  }
  // A child that waits once on the barrier (joining and arriving) and stays
  // blocked there; the caller kills it.
  pid_t blocked_participant() {
    const pid_t pid = fork();
    if (pid == 0) {
      alarm(10);
      bshim::barrier_wait(barrier_);
      pause();
      _exit(0);
    }
    return pid;
  }

  void* memory_ = nullptr;
  pthread_barrier_t* barrier_ = nullptr;
  pthread_barrierattr_t attr_;
};

TEST_F(RobustBarrier, InitCreatesAndDestroyRemovesTheSemaphoreSet) {
  ASSERT_EQ(bshim::barrier_init(barrier_, &attr_, 2), 0);
  const uint32_t id = semaphore_id();
  EXPECT_TRUE(semaphore_set_exists(id));
  EXPECT_EQ(bshim::barrier_destroy(barrier_), 0);
  EXPECT_FALSE(semaphore_set_exists(id));
}

TEST_F(RobustBarrier, PrivateBarriersGetNoSemaphore) {
  pthread_barrier_t on_stack;
  ASSERT_EQ(bshim::barrier_init(&on_stack, nullptr, 2), 0);
  EXPECT_EQ(reinterpret_cast<const uint32_t*>(&on_stack)[4], 0u);
  EXPECT_EQ(bshim::barrier_destroy(&on_stack), 0);
}

TEST_F(RobustBarrier, SurvivorOfAKilledParticipantGetsEownerdeadThenAlwaysAtOnce) {
  ASSERT_EQ(bshim::barrier_init(barrier_, &attr_, 2), 0);
  const pid_t participant = blocked_participant();
  // Wait until the child has arrived (arrivals, low bits of the state word).
  while ((reinterpret_cast<std::atomic<uint64_t>*>(barrier_)->load() & 0x7fffffff) == 0) {
    sched_yield();
  }
  // This completes the child's round: its arrival counts.
  EXPECT_EQ(bshim::barrier_wait(barrier_), PTHREAD_BARRIER_SERIAL_THREAD);
  kill(participant, SIGKILL);
  waitpid(participant, nullptr, 0);
  // The next round can never complete: the survivor learns it.
  EXPECT_EQ(bshim::barrier_wait(barrier_), EOWNERDEAD);
  EXPECT_EQ(bshim::barrier_wait(barrier_), EOWNERDEAD);
  EXPECT_EQ(bshim::barrier_destroy(barrier_), 0);
}

TEST_F(RobustBarrier, BrokenBarrierCanBeInitialisedAgain) {
  ASSERT_EQ(bshim::barrier_init(barrier_, &attr_, 2), 0);
  const pid_t participant = blocked_participant();
  while ((reinterpret_cast<std::atomic<uint64_t>*>(barrier_)->load() & 0x7fffffff) == 0) {
    sched_yield();
  }
  kill(participant, SIGKILL);
  waitpid(participant, nullptr, 0);
  // The dead child's arrival is in the round; ours completes it.
  EXPECT_EQ(bshim::barrier_wait(barrier_), PTHREAD_BARRIER_SERIAL_THREAD);
  EXPECT_EQ(bshim::barrier_wait(barrier_), EOWNERDEAD);
  const uint32_t old_id = semaphore_id();
  ASSERT_EQ(bshim::barrier_init(barrier_, &attr_, 1), 0);
  EXPECT_FALSE(semaphore_set_exists(old_id));
  EXPECT_EQ(bshim::barrier_wait(barrier_), PTHREAD_BARRIER_SERIAL_THREAD);
  EXPECT_EQ(bshim::barrier_destroy(barrier_), 0);
}

TEST_F(RobustBarrier, DestroyWhileALiveParticipantIsBlockedIsStillBusy) {
  ASSERT_EQ(bshim::barrier_init(barrier_, &attr_, 2), 0);
  const pid_t participant = blocked_participant();
  while ((reinterpret_cast<std::atomic<uint64_t>*>(barrier_)->load() & 0x7fffffff) == 0) {
    sched_yield();
  }
  EXPECT_EQ(bshim::barrier_destroy(barrier_), EBUSY);
  EXPECT_EQ(bshim::barrier_wait(barrier_), PTHREAD_BARRIER_SERIAL_THREAD);
  kill(participant, SIGKILL);
  waitpid(participant, nullptr, 0);
  EXPECT_EQ(bshim::barrier_destroy(barrier_), 0);
}

uint64_t state_of(pthread_barrier_t* barrier) {
  return reinterpret_cast<std::atomic<uint64_t>*>(barrier)->load();
}

TEST_F(RobustBarrier, FullRoundWhoseCompleterDiedBetweenArrivalAndReleaseBreaks) {
  ASSERT_EQ(bshim::barrier_init(barrier_, &attr_, 2), 0);
  const pid_t participant = blocked_participant();  // arrival 1 of the round
  while ((state_of(barrier_) & 0x7fffffff) == 0) sched_yield();
  // Stand-in for the child's second thread: the round's last arrival, made
  // just before its process is killed, so its release never comes.
  reinterpret_cast<std::atomic<uint64_t>*>(barrier_)->fetch_add(1);
  kill(participant, SIGKILL);
  waitpid(participant, nullptr, 0);
  // This arrival finds the round full: nobody sleeps in it, so the arrival
  // itself must find the death (it hung for ever before).
  EXPECT_EQ(bshim::barrier_wait(barrier_), EOWNERDEAD);
  EXPECT_EQ(bshim::barrier_destroy(barrier_), 0);
}

TEST_F(RobustBarrier, SurvivorStillBlockedWhenABrokenBarrierIsReinitialisedSeesEownerdead) {
  ASSERT_EQ(bshim::barrier_init(barrier_, &attr_, 3), 0);
  auto* result = reinterpret_cast<std::atomic<int>*>(static_cast<char*>(memory_) + 64);
  result->store(-1);
  const pid_t victim = blocked_participant();  // round 0 only, then pauses
  const pid_t survivor = fork();
  if (survivor == 0) {
    alarm(10);
    bshim::barrier_wait(barrier_);                 // round 0
    result->store(bshim::barrier_wait(barrier_));  // round 1: asleep in it
    _exit(0);
  }
  while ((state_of(barrier_) & 0x7fffffff) != 2) sched_yield();
  EXPECT_EQ(bshim::barrier_wait(barrier_), PTHREAD_BARRIER_SERIAL_THREAD);  // round 0 done
  while ((state_of(barrier_) & 0x7fffffff) != 1) sched_yield();  // the survivor is in round 1
  kill(survivor, SIGSTOP);  // a survivor too slow to notice the break in time
  kill(victim, SIGKILL);
  waitpid(victim, nullptr, 0);
  EXPECT_EQ(bshim::barrier_wait(barrier_), EOWNERDEAD);
  ASSERT_EQ(bshim::barrier_init(barrier_, &attr_, 2), 0);  // allowed over a broken barrier
  kill(survivor, SIGCONT);
  waitpid(survivor, nullptr, 0);
  // Its round never completed: "round moved on" must not read as completion.
  EXPECT_EQ(result->load(), EOWNERDEAD);
  EXPECT_EQ(bshim::barrier_destroy(barrier_), 0);
}

}  // namespace
