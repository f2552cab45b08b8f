// The asymmetric fence's heavy side is a real membarrier wherever the kernel
// offers it, including in a fork child (the unmap lock's sleeping unmappers
// rely on it there too: os/asymmetric_fence.h).
#include "os/asymmetric_fence.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

TEST(AsymmetricFence, RegistersForTheExpeditedMembarrier) {
  ASSERT_TRUE(bshim::prepare_asymmetric_fence());
  EXPECT_TRUE(bshim::g_heavy_fence_ready.load());
  EXPECT_TRUE(bshim::heavy_fence());
}

TEST(AsymmetricFence, HeavyFenceIsStillAMembarrierInAForkChild) {
  ASSERT_TRUE(bshim::prepare_asymmetric_fence());
  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) _exit(bshim::heavy_fence() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's membarrier failed: registration not inherited";
}

}  // namespace
