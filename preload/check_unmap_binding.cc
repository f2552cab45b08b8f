// Says at load time when the program's unmap calls do not reach the shim:
// an object loaded before it (LD_PRELOAD="libtcmalloc_minimal.so.4 shim",
// say) that defines munmap, mmap, mmap64 or mremap itself takes the program's
// calls. If it passes them on (ASan's interceptors call the next definition:
// the shim), nothing is lost; gperftools' tcmalloc makes the system calls
// directly (libtcmalloc-minimal4 2.10: syscall(SYS_munmap)), so those unmaps
// bypass the unmap lock, and a process-shared barrier's memory could be
// unmapped under a waiter that is still leaving it. So each call is tried
// once, on a scratch page, through whatever the program's calls bind to, and
// the wrappers count what reaches them. Nothing can intercept a raw system
// call; the shim says so, once, on standard error.
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_unmap_binding.h"
#include "diagnostics/text_buffer.h"
#include "os/page_size.h"
#include "real_functions.h"

namespace bshim_preload {
namespace {

void warn(const char* name) {
  void* bound = dlsym(RTLD_DEFAULT, name);
  Dl_info where{};
  const char* object =
      bound != nullptr && dladdr(bound, &where) != 0 && where.dli_fname != nullptr
          ? where.dli_fname
          : "another object";
  bshim::FixedText<512> line;
  line.text("barrier-shim: ").text(name).text(" binds to ").text(object)
      .text(", loaded before the shim, which does not pass it on: unmaps by that path"
            " bypass the unmap lock (process-shared barriers lose unmap safety);"
            " preload the shim first\n");
  bshim::write_all(STDERR_FILENO, line);
}

// True if `attempt` (a call through the program's binding) reached a wrapper.
template <typename Attempt>
bool reaches_the_shim(Attempt attempt) {
  const unsigned before = wrapped_unmap_calls_of_this_thread();
  attempt();
  return wrapped_unmap_calls_of_this_thread() != before;
}

}  // namespace

void warn_if_unmap_calls_bypass_the_shim() {
  using Mmap = void* (*)(void*, size_t, int, int, int, off_t);
  using Mremap = void* (*)(void*, size_t, size_t, int, ...);
  using Munmap = int (*)(void*, size_t);
  auto bound_mmap = reinterpret_cast<Mmap>(dlsym(RTLD_DEFAULT, "mmap"));
  auto bound_mmap64 = reinterpret_cast<Mmap>(dlsym(RTLD_DEFAULT, "mmap64"));
  auto bound_mremap = reinterpret_cast<Mremap>(dlsym(RTLD_DEFAULT, "mremap"));
  auto bound_munmap = reinterpret_cast<Munmap>(dlsym(RTLD_DEFAULT, "munmap"));
  if (!bound_mmap || !bound_mmap64 || !bound_mremap || !bound_munmap) return;
  const size_t page = bshim::page_size();
  void* scratch = call_real_mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (scratch == MAP_FAILED) return;
  const int fixed = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  if (!reaches_the_shim([&] { bound_mmap(scratch, page, PROT_READ, fixed, -1, 0); })) warn("mmap");
  else if (!reaches_the_shim([&] { bound_mmap64(scratch, page, PROT_READ, fixed, -1, 0); }))
    warn("mmap64");
  else if (!reaches_the_shim([&] { bound_mremap(scratch, page, page, 0); })) warn("mremap");
  else if (!reaches_the_shim([&] { bound_munmap(scratch, 2 * page); })) warn("munmap");
  call_real_munmap(scratch, 2 * page);  // whatever is left of it
}

}  // namespace bshim_preload
