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
  bool found;
  uintptr_t load_base;
  uintptr_t begin;
  uintptr_t end;
  char path[PATH_MAX];
};

bool copy_path(const char* path, char* out, size_t capacity) {
  size_t i = 0;
  for (; path[i] != '\0'; ++i) {
    if (i + 1 >= capacity) return false;
    out[i] = path[i];
  }
  out[i] = '\0';
  return true;
}

// dl_iterate_phdr callback: stops at the object with a loaded segment that
// contains query->address.
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
  query->found = copy_path(path, query->path, sizeof(query->path));
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
  dl_iterate_phdr(find_object, &query);
  if (!query.found) return false;
  load_base_ = query.load_base;
  object_begin_ = query.begin;
  object_end_ = query.end;
  const int fd = open(query.path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
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

bool SymbolLookup::find(uintptr_t address, char* name, size_t capacity, uintptr_t* offset) {
  if (capacity == 0) return false;
  name[0] = '\0';
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
    size_t length = 0;
    const size_t room = strings->sh_size - symbol.st_name;
    for (; length + 1 < capacity && length < room && names[symbol.st_name + length] != '\0';
         ++length) {
      name[length] = names[symbol.st_name + length];
    }
    name[length] = '\0';
    *offset = target - symbol.st_value;
    return true;
  }
  return false;
}

}  // namespace bshim
