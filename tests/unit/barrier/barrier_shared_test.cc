// Process-shared barriers between processes, at the core level.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "barrier/barrier.h"

namespace {

struct SharedPage {
  pthread_barrier_t barrier;
  std::atomic<unsigned> arrived[2000];
  std::atomic<unsigned> serials[2000];
  std::atomic<unsigned> early;
};

TEST(BarrierShared, ProcessesAcrossForkSeeOneSerialPerRoundAndNobodyEarly) {
  constexpr unsigned kProcesses = 3;
  constexpr unsigned kRounds = 2000;
  void* memory = mmap(nullptr, sizeof(SharedPage), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  auto* page = new (memory) SharedPage();
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  ASSERT_EQ(bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
  ASSERT_EQ(bshim::barrier_init(&page->barrier, &attr, kProcesses), 0);
  pid_t children[kProcesses];
  for (unsigned p = 0; p < kProcesses; ++p) {
    children[p] = fork();
    if (children[p] == 0) {
      alarm(20);
      for (unsigned round = 0; round < kRounds; ++round) {
        page->arrived[round].fetch_add(1);
        const int result = bshim::barrier_wait(&page->barrier);
        if (page->arrived[round].load() != kProcesses) page->early.fetch_add(1);
        if (result == PTHREAD_BARRIER_SERIAL_THREAD) page->serials[round].fetch_add(1);
      }
      _exit(0);
    }
  }
  for (pid_t child : children) {
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  EXPECT_EQ(page->early.load(), 0u);
  for (unsigned round = 0; round < kRounds; ++round) {
    ASSERT_EQ(page->serials[round].load(), 1u) << "round " << round;
  }
  EXPECT_EQ(bshim::barrier_destroy(&page->barrier), 0);
  munmap(memory, sizeof(SharedPage));
}

}  // namespace
