// Says at load time when the program's unmap calls may not reach the shim:
// when munmap, mmap, mmap64 or mremap binds to an object other than the
// shim and libc, an object that comes before the shim in lookup order (the
// program itself, or one preloaded before the shim). If that object passes
// the calls on to the next definition, as the sanitizers' interceptors and
// Valgrind's preloads do, nothing is lost; gperftools' tcmalloc instead makes
// the system calls directly (libtcmalloc-minimal4 2.10: syscall(SYS_munmap)),
// so those unmaps bypass the unmap lock, and a process-shared barrier's
// memory could be unmapped under a waiter that is still leaving it.
//
// Only looked at, never called: calling another object's definition from
// here ran it before its own constructor (review: wrappers that look up the
// next definition in their constructor crashed), made system calls the
// program never makes (a seccomp filter killed it) and could leave errno
// set at main. So the warning names the object and says "may"; known
// pass-through interceptors get none.
#include <dlfcn.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>

#include "check_unmap_binding.h"
#include "diagnostics/text_buffer.h"

namespace bshim_preload {
namespace {

// Objects whose definitions are interceptors that call the next one.
bool passes_calls_on(const char* path) {
  for (const char* name : {"/libasan.so", "/libtsan.so", "/liblsan.so", "/libhwasan.so",
                           "/libubsan.so", "/libmemprof.so", "vgpreload_"}) {
    if (std::strstr(path, name) != nullptr) return true;
  }
  return false;
}

}  // namespace

void warn_if_unmap_calls_bypass_the_shim() {
  Dl_info own{};
  if (dladdr(reinterpret_cast<void*>(&warn_if_unmap_calls_bypass_the_shim), &own) == 0) return;
  for (const char* name : {"munmap", "mmap", "mmap64", "mremap"}) {
    void* bound = dlsym(RTLD_DEFAULT, name);
    Dl_info where{};
    if (bound == nullptr || dladdr(bound, &where) == 0 || where.dli_fbase == own.dli_fbase) {
      continue;
    }
    const char* object = where.dli_fname != nullptr && where.dli_fname[0] != '\0'
                             ? where.dli_fname
                             : "the program itself";
    if (std::strstr(object, "/libc.so") != nullptr || passes_calls_on(object)) continue;
    bshim::FixedText<512> line;
    line.text("barrier-shim: ").text(name).text(" binds to ").text(object)
        .text(", which comes before the shim: if it does not pass the call on, unmaps by that"
              " path bypass the unmap lock (process-shared barriers lose unmap safety);"
              " preload the shim first\n");
    bshim::write_all(STDERR_FILENO, line);
    return;  // one line is enough
  }
}

}  // namespace bshim_preload
