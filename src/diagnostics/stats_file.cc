#include "diagnostics/stats_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "diagnostics/elf_symbols.h"
#include "diagnostics/text_buffer.h"
#include "diagnostics/wait_stats.h"

namespace bshim {
namespace {

// Written at load time (or in a fork child) only, then constant.
constinit char g_directory[PATH_MAX];
constinit char g_live_path[PATH_MAX];
constinit bool g_live = false;

// Raw system calls for the table's own mappings: the shim's mmap wrapper
// would take the unmap lock, which guards barriers, not this.
bool map_over_table(int fd) {
  const int flags = fd >= 0 ? MAP_SHARED | MAP_FIXED : MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  const long mapped = syscall(SYS_mmap, &g_stats_table, sizeof(StatsTable),
                              PROT_READ | PROT_WRITE, flags, fd, 0L);
  return mapped == reinterpret_cast<long>(&g_stats_table);
}

// Gives the new live file the table's length with every block of it
// allocated now: a page that the file system could not back when first
// touched would end the process with SIGBUS in whichever wait or init
// touched it (a full or filling $TMPDIR), and a length above RLIMIT_FSIZE
// would end it with SIGXFSZ here. False in either case: no live file then.
bool give_file_the_table_length(int fd) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < sizeof(StatsTable)) {
    return false;
  }
  return posix_fallocate(fd, 0, sizeof(StatsTable)) == 0;
}

bool is_empty(const StatsTable& table) {
  for (const StatsRow& row : table.rows) {
    if (row.barrier.load(std::memory_order_relaxed) != 0) return false;
  }
  return table.other_barriers.rounds.load(std::memory_order_relaxed) == 0 &&
         snapshot_of(table.other_barriers).waits == 0 &&
         table.unmap.calls.load(std::memory_order_relaxed) == 0;
}

// True if the file at `path` is the live file of this very pid with nothing
// counted in it: left by this process's image before an exec (the child of
// a fork gets a file at once, and most such children only exec). It is
// removed, so that the name serves the new image; any other file is kept.
bool removed_if_empty_and_ours(const char* path) {
  const int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  // The file this descriptor names (not whatever the name names by now: in a
  // shared /tmp another user could swap it, review 5): a regular file of this
  // user (in a sticky directory no other user can replace it), no shorter
  // than the table (reading past its end would fault).
  struct stat status;
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || status.st_uid != geteuid() ||
      static_cast<size_t>(status.st_size) < sizeof(StatsTable)) {
    close(fd);
    return false;
  }
  const long mapped = syscall(SYS_mmap, nullptr, sizeof(StatsTable), PROT_READ, MAP_SHARED, fd, 0L);
  close(fd);
  if (mapped == -1) return false;
  const StatsTable* table = reinterpret_cast<const StatsTable*>(mapped);
  const bool ours = is_stats_table(table, sizeof(StatsTable)) &&
                    table->header.pid == static_cast<int32_t>(getpid()) && is_empty(*table);
  syscall(SYS_munmap, mapped, sizeof(StatsTable));
  return ours && unlink(path) == 0;
}

// Creates DIRECTORY/barrier-shim-stats.PID[-N].live, never over an existing
// file or through a link; its descriptor, or -1.
int create_live_file(const char* directory) {
  const uint64_t pid = static_cast<uint64_t>(getpid());
  for (unsigned attempt = 1; attempt <= 9; ++attempt) {
    TextBuffer path(g_live_path, sizeof(g_live_path) - 1);
    path.text(directory).text("/barrier-shim-stats.").decimal(pid);
    if (attempt > 1) path.character('-').decimal(attempt);
    path.text(".live");
    if (path.truncated()) return -1;
    g_live_path[path.size()] = '\0';
    constexpr int kFlags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(g_live_path, kFlags, 0600);
    if (fd < 0 && errno == EEXIST && removed_if_empty_and_ours(g_live_path)) {
      fd = open(g_live_path, kFlags, 0600);
    }
    if (fd >= 0) return fd;
    if (errno != EEXIST) return -1;
  }
  return -1;
}

}  // namespace

bool stats_map_live_file(const char* directory) {
  // The table must be whole pages of this machine to be mapped over.
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || kStatsPage % static_cast<size_t>(page) != 0) return false;
  size_t length = 0;
  while (directory[length] != '\0' && length + 1 < sizeof(g_directory)) {
    g_directory[length] = directory[length];
    ++length;
  }
  g_directory[length] = '\0';
  const int saved_errno = errno;
  const int fd = create_live_file(g_directory);
  bool mapped = false;
  if (fd >= 0) {
    mapped = give_file_the_table_length(fd) && map_over_table(fd);
    close(fd);
    if (!mapped) unlink(g_live_path);
  }
  errno = saved_errno;
  g_live = mapped;
  return mapped;
}

void stats_write_header() {
  StatsHeader& header = g_stats_table.header;
  for (size_t i = 0; i < sizeof(kStatsMagic); ++i) header.magic[i] = kStatsMagic[i];
  header.version = kStatsLayoutVersion;
  header.table_bytes = sizeof(StatsTable);
  header.rows = kStatsRows;
  header.row_bytes = sizeof(StatsRow);
  header.objects = kStatsObjects;
  header.object_bytes = sizeof(StatsObject);
  header.pid = static_cast<int32_t>(getpid());
  header.report_written.store(0, std::memory_order_relaxed);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  header.started_unix_ns =
      static_cast<uint64_t>(now.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(now.tv_nsec);
  TextBuffer program(header.program, sizeof(header.program) - 1);
  program.text(main_program_path());
  header.program[program.size()] = '\0';
}

const char* stats_live_file_path() { return g_live ? g_live_path : nullptr; }

void stats_remove_live_file() {
  if (!g_live) return;
  const int saved_errno = errno;
  unlink(g_live_path);
  errno = saved_errno;
  g_live = false;
}

bool stats_start_in_child() {
  if (g_live) {
    // The inherited mapping is the parent's file: replace it before
    // anything is counted, with a file of the child's own, or else with
    // private zeroed memory. Either way the table is empty.
    const int saved_errno = errno;
    const int fd = create_live_file(g_directory);
    g_live = fd >= 0 && give_file_the_table_length(fd) && map_over_table(fd);
    if (fd >= 0) {
      close(fd);
      if (!g_live) unlink(g_live_path);
    }
    const bool own_table = g_live || map_over_table(-1);
    errno = saved_errno;
    if (!own_table) return false;  // still the parent's file: not to be touched
  } else {
    stats_reset();
  }
  stats_write_header();
  return true;
}

}  // namespace bshim
