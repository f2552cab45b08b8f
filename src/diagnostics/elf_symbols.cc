#include "diagnostics/elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
  query->fd = open(path, O_RDONLY | O_CLOEXEC);
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
  struct stat status;
  if (fstat(fd, &status) != 0 || status.st_size <= 0) {
    close(fd);
    return false;
  }
  const size_t size = static_cast<size_t>(status.st_size);
  // Raw mmap, as in unmap(): nothing for the wrappers to do.
  void* image = reinterpret_cast<void*>(
      syscall(SYS_mmap, nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0L));
  close(fd);
  if (image == MAP_FAILED) return false;
  image_ = static_cast<const unsigned char*>(image);
  image_size_ = size;
  if (!is_sound_elf(image_, image_size_)) {
    unmap();
    return false;
  }
  return true;
}

bool SymbolLookup::find(uintptr_t address, size_t longest_name, const char** name,
                        size_t* name_length, uintptr_t* offset) {
  if (image_ == nullptr || address < object_begin_ || address >= object_end_) {
    if (!map_object_containing(address)) return false;
  }
  const ElfW(Shdr)* strings = nullptr;
  const ElfW(Shdr)* table = symbol_table_of(image_, image_size_, &strings);
  if (table == nullptr) return false;
  const ElfW(Sym)* symbols = reinterpret_cast<const ElfW(Sym)*>(image_ + table->sh_offset);
  const size_t symbol_count = table->sh_size / sizeof(ElfW(Sym));
  const char* names = reinterpret_cast<const char*>(image_ + strings->sh_offset);
  const uintptr_t target = address - load_base_;  // as the file's addresses
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

}  // namespace bshim
