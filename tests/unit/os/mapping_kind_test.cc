// What kind of mapping an address lies in (os/mapping_kind.h): the kernel's
// one-address query and the scan of /proc/self/maps give the same answers
// for the memory barriers live in: the stack, the heap, private and shared
// anonymous mappings, a shared file mapping, a page no longer mapped.
#include "os/mapping_kind.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>

namespace {

using bshim::MappingKind;
using bshim::mapping_kind_by_scan;
using bshim::mapping_kind_of;

void* map_page(int flags, int fd = -1) {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, flags, fd, 0);
  return page == MAP_FAILED ? nullptr : page;
}

TEST(MappingKind, PrivateMemoryIsPrivate) {
  int on_stack = 0;
  std::unique_ptr<int> on_heap(new int(0));
  void* anonymous = map_page(MAP_PRIVATE | MAP_ANONYMOUS);
  ASSERT_NE(anonymous, nullptr);
  for (const void* address : {static_cast<const void*>(&on_stack),
                              static_cast<const void*>(on_heap.get()),
                              static_cast<const void*>(anonymous)}) {
    EXPECT_EQ(mapping_kind_of(address), MappingKind::kPrivate);
    EXPECT_EQ(mapping_kind_by_scan(address), MappingKind::kPrivate);
  }
  munmap(anonymous, 4096);
}

TEST(MappingKind, SharedMemoryIsShared) {
  void* anonymous = map_page(MAP_SHARED | MAP_ANONYMOUS);
  ASSERT_NE(anonymous, nullptr);
  char path[] = "/tmp/mapping_kind_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  void* file = map_page(MAP_SHARED, fd);
  close(fd);
  ASSERT_NE(file, nullptr);
  for (const void* address : {anonymous, file}) {
    EXPECT_EQ(mapping_kind_of(address), MappingKind::kShared);
    EXPECT_EQ(mapping_kind_by_scan(address), MappingKind::kShared);
  }
  munmap(anonymous, 4096);
  munmap(file, 4096);
}

TEST(MappingKind, AnUnmappedPageIsUnknown) {
  void* page = map_page(MAP_SHARED | MAP_ANONYMOUS);
  ASSERT_NE(page, nullptr);
  ASSERT_EQ(munmap(page, 4096), 0);
  EXPECT_EQ(mapping_kind_of(page), MappingKind::kUnknown);
  EXPECT_EQ(mapping_kind_by_scan(page), MappingKind::kUnknown);
}

TEST(MappingKind, TheAnswerLeavesErrnoAlone) {
  int on_stack = 0;
  errno = 1234;
  mapping_kind_of(&on_stack);
  EXPECT_EQ(errno, 1234);
}

// A wait whose read of its barrier faults must tell memory made inaccessible
// (the barrier is still there) from memory released.
TEST(MappingKind, OnlyAProtectedSharedPageIsUnreadableShared) {
  void* shared = map_page(MAP_SHARED | MAP_ANONYMOUS);
  void* unmapped = map_page(MAP_SHARED | MAP_ANONYMOUS);
  void* private_page = map_page(MAP_PRIVATE | MAP_ANONYMOUS);
  ASSERT_NE(shared, nullptr);
  ASSERT_NE(unmapped, nullptr);
  ASSERT_NE(private_page, nullptr);
  EXPECT_FALSE(bshim::in_unreadable_shared_mapping(shared));
  ASSERT_EQ(mprotect(shared, 4096, PROT_NONE), 0);
  ASSERT_EQ(mprotect(private_page, 4096, PROT_NONE), 0);
  ASSERT_EQ(munmap(unmapped, 4096), 0);
  errno = 1234;
  EXPECT_TRUE(bshim::in_unreadable_shared_mapping(static_cast<char*>(shared) + 64));
  EXPECT_FALSE(bshim::in_unreadable_shared_mapping(unmapped));
  EXPECT_FALSE(bshim::in_unreadable_shared_mapping(private_page));
  EXPECT_EQ(errno, 1234);
  munmap(shared, 4096);
  munmap(private_page, 4096);
}

}  // namespace
