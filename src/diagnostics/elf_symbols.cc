#include "diagnostics/elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace bshim {
namespace {

// 64-bit objects only: the library is built for x86-64 (and would be for
// other 64-bit targets; ELF64_ST_TYPE below assumes it too).
static_assert(sizeof(void*) == 8, "ELF64 symbol tables only");
constexpr unsigned char kNativeClass = ELFCLASS64;

// What find_object() learns about the object that contains `address`.
struct ObjectQuery {
  uintptr_t address;
  int fd;  // its file, open; -1 if none was found or it could not be opened
  uintptr_t load_base;
  uintptr_t begin;
  uintptr_t end;
};

// dl_iterate_phdr callback: stops at the object with a loaded segment that
// contains query->address, and opens its file there and then: the name
// belongs to the loader and is only sure to stay valid while the loader's
// lock is held (a dlclose in another thread could free it), and opening it
// here spares a PATH_MAX copy on the reporting waiter's stack.
int find_object(struct dl_phdr_info* info, size_t, void* data) {
  ObjectQuery* query = static_cast<ObjectQuery*>(data);
  uintptr_t begin = UINTPTR_MAX;
  uintptr_t end = 0;
  bool contains = false;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    const uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    const uintptr_t stop = start + segment.p_memsz;
    if (query->address >= start && query->address < stop) contains = true;
    if (start < begin) begin = start;
    if (stop > end) end = stop;
  }
  if (!contains) return 0;
  // The main program has an empty name; the kernel links to its file.
  const char* path = info->dlpi_name != nullptr && info->dlpi_name[0] != '\0'
                         ? info->dlpi_name
                         : "/proc/self/exe";
  query->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  query->load_base = info->dlpi_addr;
  query->begin = begin;
  query->end = end;
  return 1;
}

// The file's symbol table: .symtab if it has one, else .dynsym; nullptr if
// neither is sound (every offset checked against the mapped size).
const ElfW(Shdr)* symbol_table_of(const unsigned char* image, size_t size,
                                  const ElfW(Shdr)** strings) {
  const ElfW(Ehdr)* header = reinterpret_cast<const ElfW(Ehdr)*>(image);
  const ElfW(Shdr)* sections = reinterpret_cast<const ElfW(Shdr)*>(image + header->e_shoff);
  const ElfW(Shdr)* chosen = nullptr;
  for (unsigned i = 0; i < header->e_shnum; ++i) {
    if (sections[i].sh_type == SHT_SYMTAB) chosen = &sections[i];
    if (sections[i].sh_type == SHT_DYNSYM && chosen == nullptr) chosen = &sections[i];
  }
  if (chosen == nullptr || chosen->sh_entsize != sizeof(ElfW(Sym)) ||
      chosen->sh_offset > size || chosen->sh_size > size - chosen->sh_offset ||
      chosen->sh_link >= header->e_shnum) {
    return nullptr;
  }
  *strings = &sections[chosen->sh_link];
  if ((*strings)->sh_offset > size || (*strings)->sh_size > size - (*strings)->sh_offset) {
    return nullptr;
  }
  return chosen;
}

bool is_sound_elf(const unsigned char* image, size_t size) {
  if (size < sizeof(ElfW(Ehdr))) return false;
  const ElfW(Ehdr)* header = reinterpret_cast<const ElfW(Ehdr)*>(image);
  return image[EI_MAG0] == ELFMAG0 && image[EI_MAG1] == ELFMAG1 && image[EI_MAG2] == ELFMAG2 &&
         image[EI_MAG3] == ELFMAG3 && image[EI_CLASS] == kNativeClass &&
         header->e_shentsize == sizeof(ElfW(Shdr)) && header->e_shoff <= size &&
         header->e_shnum <= (size - header->e_shoff) / sizeof(ElfW(Shdr));
}


// The ELF file open at `fd`, mapped read-only (raw mmap: nothing for the
// shim's wrappers to do), if it is a sound one of ours; nullptr otherwise.
const unsigned char* map_elf_file(int fd, size_t* size) {
  struct stat status;
  // Regular files only: a FIFO or a device has no image to map.
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || status.st_size <= 0) return nullptr;
  const size_t length = static_cast<size_t>(status.st_size);
  void* image = reinterpret_cast<void*>(
      syscall(SYS_mmap, nullptr, length, PROT_READ, MAP_PRIVATE, fd, 0L));
  if (image == MAP_FAILED) return nullptr;
  if (!is_sound_elf(static_cast<const unsigned char*>(image), length)) {
    syscall(SYS_munmap, image, length);
    return nullptr;
  }
  *size = length;
  return static_cast<const unsigned char*>(image);
}

// The function covering `target` (an address as the file numbers it) in the
// symbol table of the mapped file `image`: see SymbolLookup::find.
bool find_in_image(const unsigned char* image, size_t image_size, uintptr_t target,
                   size_t longest_name, const char** name, size_t* name_length,
                   uintptr_t* offset) {
  const ElfW(Shdr)* strings = nullptr;
  const ElfW(Shdr)* table = symbol_table_of(image, image_size, &strings);
  if (table == nullptr) return false;
  const ElfW(Sym)* symbols = reinterpret_cast<const ElfW(Sym)*>(image + table->sh_offset);
  const size_t symbol_count = table->sh_size / sizeof(ElfW(Sym));
  const char* names = reinterpret_cast<const char*>(image + strings->sh_offset);
  for (size_t i = 0; i < symbol_count; ++i) {
    const ElfW(Sym)& symbol = symbols[i];
    const unsigned type = ELF64_ST_TYPE(symbol.st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || symbol.st_shndx == SHN_UNDEF ||
        symbol.st_size == 0 || target < symbol.st_value ||
        target - symbol.st_value >= symbol.st_size || symbol.st_name >= strings->sh_size) {
      continue;
    }
    // Up to the terminator, the end of the string table or `longest_name`.
    const char* start = names + symbol.st_name;
    const size_t room = strings->sh_size - symbol.st_name;
    size_t length = 0;
    while (length < longest_name && length < room && start[length] != '\0') ++length;
    *name = start;
    *name_length = length;
    *offset = target - symbol.st_value;
    return true;
  }
  return false;
}

// The main program's file, or empty until remember_main_program_path().
constinit char g_main_program_path[PATH_MAX];

struct ObjectPathQuery {
  uintptr_t address;
  TextBuffer* path;
  uintptr_t load_base;
  bool found;
};

// dl_iterate_phdr callback: stops at the object with a loaded segment that
// contains query->address and copies its name there and then (the name is
// the loader's, sure to stay valid only while its lock is held).
int append_object_path(struct dl_phdr_info* info, size_t, void* data) {
  ObjectPathQuery* query = static_cast<ObjectPathQuery*>(data);
  bool contains = false;
  for (int i = 0; i < info->dlpi_phnum && !contains; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    const uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    contains = segment.p_type == PT_LOAD && query->address >= start &&
               query->address < start + segment.p_memsz;
  }
  if (!contains) return 0;
  query->path->text(info->dlpi_name != nullptr && info->dlpi_name[0] != '\0'
                        ? info->dlpi_name
                        : main_program_path());
  query->load_base = info->dlpi_addr;
  query->found = true;
  return 1;
}

}  // namespace

SymbolLookup::~SymbolLookup() { unmap(); }

void SymbolLookup::unmap() {
  // The raw system call, not the shim's munmap wrapper: this private mapping
  // of a file holds no barrier, so the unmap lock has nothing to protect.
  if (image_ != nullptr) syscall(SYS_munmap, image_, image_size_);
  image_ = nullptr;
  image_size_ = 0;
}

bool SymbolLookup::map_object_containing(uintptr_t address) {
  unmap();
  ObjectQuery query{};
  query.address = address;
  query.fd = -1;
  dl_iterate_phdr(find_object, &query);
  const int fd = query.fd;
  if (fd < 0) return false;
  load_base_ = query.load_base;
  object_begin_ = query.begin;
  object_end_ = query.end;
  image_ = map_elf_file(fd, &image_size_);
  close(fd);
  return image_ != nullptr;
}

bool SymbolLookup::find(uintptr_t address, size_t longest_name, const char** name,
                        size_t* name_length, uintptr_t* offset) {
  if (image_ == nullptr || address < object_begin_ || address >= object_end_) {
    if (!map_object_containing(address)) return false;
  }
  // As the file's addresses.
  return find_in_image(image_, image_size_, address - load_base_, longest_name, name,
                       name_length, offset);
}

const char* main_program_path() {
  return g_main_program_path[0] != '\0' ? g_main_program_path : "/proc/self/exe";
}

void remember_main_program_path() {
  // readlink does not terminate; one byte kept for it.
  const ssize_t length = readlink("/proc/self/exe", g_main_program_path,
                                  sizeof(g_main_program_path) - 1);
  g_main_program_path[length > 0 ? length : 0] = '\0';
}

bool append_object_of(uintptr_t address, TextBuffer& path, uintptr_t* load_base) {
  ObjectPathQuery query{address, &path, 0, false};
  dl_iterate_phdr(append_object_path, &query);
  if (query.found) *load_base = query.load_base;
  return query.found;
}

bool find_symbol_in_file(const char* path, uintptr_t file_address, TextBuffer& name,
                         uintptr_t* offset) {
  // O_NONBLOCK: a path that names a FIFO now (the renderer reads paths from
  // a file anyone may have written) must not block the open.
  const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  size_t size = 0;
  const unsigned char* image = map_elf_file(fd, &size);
  close(fd);
  if (image == nullptr) return false;
  const char* found = nullptr;
  size_t length = 0;
  const bool known = find_in_image(image, size, file_address, name.remaining(), &found,
                                   &length, offset);
  if (known) name.text(found, length);
  syscall(SYS_munmap, image, size);
  return known;
}

}  // namespace bshim
