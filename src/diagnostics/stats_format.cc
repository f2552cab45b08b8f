#include "diagnostics/stats_format.h"

#include "diagnostics/elf_symbols.h"
#include "diagnostics/wait_stats.h"

namespace bshim {
namespace {

constexpr const char* kPrefix = "barrier-shim: stats: ";
constexpr unsigned kCountWidth = 11;
constexpr size_t kKindColumn = 21 + 20;  // after the prefix and a padded address
constexpr size_t kLongestSymbol = 200;

const char* kind_name(const BarrierStatsSnapshot& row) {
  if (row.seen_private && row.seen_shared) return "both";
  if (row.seen_shared) return "shared";
  return row.seen_private ? "private" : "-";
}

// Where a row's barrier was initialised, resolved: the object file's path,
// the offset in it, and the function there when a symbol covers it.
struct InitSite {
  bool known = false;          // an init was recorded
  const char* object = nullptr;  // null: the address lies in no known object
  uint64_t address = 0;
  uint64_t offset = 0;         // as the object's file numbers it
  char symbol[kLongestSymbol + 1] = {};
  size_t symbol_length = 0;
  uint64_t symbol_offset = 0;
};

void resolve_init_site(const StatsTable& table, const StatsRow& row, InitSite* site) {
  site->address = row.init_site.load(std::memory_order_relaxed);
  site->known = site->address != 0;
  const uint32_t object = row.init_object.load(std::memory_order_relaxed);
  if (!site->known || object == 0 || object > kStatsObjects) return;
  const StatsObject& entry = table.objects[object - 1];
  // acquire: pairs with the release that published the entry.
  if (entry.ready.load(std::memory_order_acquire) == 0) return;
  site->object = entry.path;
  site->offset = row.init_offset.load(std::memory_order_relaxed);
  // A return address: its call is the byte before (as debuggers name it).
  TextBuffer name(site->symbol, kLongestSymbol);
  uintptr_t symbol_offset = 0;
  if (site->offset != 0 && find_symbol_in_file(entry.path, site->offset - 1, name, &symbol_offset)) {
    site->symbol_length = name.size();
    site->symbol_offset = symbol_offset + 1;
  }
}

void append_site_text(TextBuffer& out, const InitSite& site, bool sites_differ) {
  if (!site.known) {
    out.text("-");
    return;
  }
  if (site.symbol_length != 0) {
    out.text(site.symbol, site.symbol_length).character('+').hex(site.symbol_offset);
  } else {
    out.text("??");
  }
  if (site.object != nullptr) {
    out.text(" (").text(site.object).character('+').hex(site.offset).character(')');
  } else {
    out.text(" (").hex(site.address, 16).character(')');
  }
  if (sites_differ) out.text(" (and other sites)");
}

// A JSON string: quotes, backslashes and control characters escaped.
void append_json_string(TextBuffer& out, const char* text, size_t length) {
  out.character('"');
  for (size_t i = 0; i < length; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.character('\\').character(static_cast<char>(c));
    } else if (c < 0x20) {
      out.text("\\u00").character("0123456789abcdef"[c >> 4]).character("0123456789abcdef"[c & 15]);
    } else {
      out.character(static_cast<char>(c));
    }
  }
  out.character('"');
}

void append_json_string(TextBuffer& out, const char* text) {
  size_t length = 0;
  while (text[length] != '\0') ++length;
  append_json_string(out, text, length);
}

void append_json_hex(TextBuffer& out, uint64_t value) {
  out.character('"').hex(value).character('"');
}

void append_text_row(TextBuffer& out, const StatsTable& table, const StatsRow& stored) {
  const BarrierStatsSnapshot row = snapshot_of(stored);
  out.text(kPrefix);
  if (&stored == &table.other_barriers) {
    out.text("other-barriers");
  } else {
    out.hex(row.barrier, 16);
  }
  out.pad_to(kKindColumn).text(kind_name(row)).pad_to(kKindColumn + 8);
  if (row.counts_differ) {
    out.text("  mixed");
  } else if (row.inits == 0) {
    out.text("      -");
  } else {
    out.decimal(row.count, 7);
  }
  out.decimal(row.rounds, kCountWidth).decimal(row.waits, kCountWidth);
  out.decimal(row.spun, kCountWidth).decimal(row.yielded, kCountWidth);
  out.decimal(row.slept, kCountWidth).decimal(row.broken, kCountWidth);
  out.text("   ").seconds(row.longest_wait_ns, 6).text("  ");
  InitSite site;
  resolve_init_site(table, stored, &site);
  append_site_text(out, site, row.sites_differ);
  out.character('\n');
  const uint64_t missing = rounds_missing_their_last_arriver(row);
  if (missing != 0) {
    out.text(kPrefix).hex(row.barrier, 16).text(": at least ").decimal(missing);
    out.text(missing == 1 ? " round" : " rounds");
    out.text(" completed whose last arriver had not returned from pthread_barrier_wait when"
             " these counts were read (a wait is counted when it returns)\n");
  }
}

void append_text(TextBuffer& out, const StatsTable& table) {
  out.text(kPrefix).text("pid ").decimal(static_cast<uint64_t>(table.header.pid));
  out.text(": one row per barrier this process waited on; a process-shared barrier has a row"
           " in each process that used it, counting that process's waits\n");
  out.text(kPrefix).text("barrier");
  out.pad_to(kKindColumn).text("kind").pad_to(kKindColumn + 8);
  out.text("  count     rounds      waits       spun    yielded      slept     broken"
           "   longest_s  initialised_at\n");
  size_t rows = 0;
  for (const StatsRow& row : table.rows) {
    if (row.barrier.load(std::memory_order_relaxed) == 0 || snapshot_of(row).waits == 0) continue;
    append_text_row(out, table, row);
    ++rows;
  }
  if (snapshot_of(table.other_barriers).waits != 0) {
    append_text_row(out, table, table.other_barriers);
    ++rows;
  }
  if (rows == 0) out.text(kPrefix).text("no barrier waits\n");
  const UnmapStatsSnapshot unmap = snapshot_of(table.unmap);
  out.text(kPrefix).text("unmap lock: ").decimal(unmap.calls).text(" calls, ");
  out.decimal(unmap.waited).text(" had to wait, ").seconds(unmap.total_wait_ns, 6);
  out.text(" s waiting in total, longest ").seconds(unmap.longest_wait_ns, 6).text(" s\n");
}

void append_json_row(TextBuffer& out, const StatsTable& table, const StatsRow& stored) {
  const BarrierStatsSnapshot row = snapshot_of(stored);
  out.character('{');
  if (&stored != &table.other_barriers) {
    out.text("\"barrier\":");
    append_json_hex(out, row.barrier);
    out.character(',');
  }
  out.text("\"kind\":\"").text(kind_name(row)).text("\",\"count\":");
  if (row.inits == 0 || row.counts_differ) {
    out.text("null");
  } else {
    out.decimal(row.count);
  }
  out.text(",\"rounds\":").decimal(row.rounds).text(",\"waits\":").decimal(row.waits);
  out.text(",\"spun\":").decimal(row.spun).text(",\"yielded\":").decimal(row.yielded);
  out.text(",\"slept\":").decimal(row.slept).text(",\"broken\":").decimal(row.broken);
  out.text(",\"longest_wait_ns\":").decimal(row.longest_wait_ns);
  out.text(",\"rounds_missing_their_last_arriver\":")
      .decimal(rounds_missing_their_last_arriver(row));
  out.text(",\"inits\":").decimal(row.inits).text(",\"initialised_at\":");
  InitSite site;
  resolve_init_site(table, stored, &site);
  if (!site.known) {
    out.text("null");
  } else {
    out.text("{\"address\":");
    append_json_hex(out, site.address);
    out.text(",\"object\":");
    if (site.object != nullptr) {
      append_json_string(out, site.object);
      out.text(",\"offset\":");
      append_json_hex(out, site.offset);
    } else {
      out.text("null,\"offset\":null");
    }
    out.text(",\"function\":");
    if (site.symbol_length != 0) {
      append_json_string(out, site.symbol, site.symbol_length);
      out.text(",\"function_offset\":");
      append_json_hex(out, site.symbol_offset);
    } else {
      out.text("null,\"function_offset\":null");
    }
    out.text(",\"other_sites\":").text(row.sites_differ ? "true" : "false").character('}');
  }
  out.character('}');
}

void append_json(TextBuffer& out, const StatsTable& table) {
  out.text("{\"barrier_shim_stats\":1,\"pid\":").decimal(static_cast<uint64_t>(table.header.pid));
  out.text(",\"program\":");
  append_json_string(out, table.header.program);
  out.text(",\"barriers\":[");
  bool first = true;
  for (const StatsRow& row : table.rows) {
    if (row.barrier.load(std::memory_order_relaxed) == 0 || snapshot_of(row).waits == 0) continue;
    if (!first) out.character(',');
    first = false;
    append_json_row(out, table, row);
  }
  out.text("],\"other_barriers\":");
  if (snapshot_of(table.other_barriers).waits != 0) {
    append_json_row(out, table, table.other_barriers);
  } else {
    out.text("null");
  }
  const UnmapStatsSnapshot unmap = snapshot_of(table.unmap);
  out.text(",\"unmap_lock\":{\"calls\":").decimal(unmap.calls);
  out.text(",\"had_to_wait\":").decimal(unmap.waited);
  out.text(",\"total_wait_ns\":").decimal(unmap.total_wait_ns);
  out.text(",\"longest_wait_ns\":").decimal(unmap.longest_wait_ns).text("}}\n");
}

}  // namespace

uint64_t rounds_missing_their_last_arriver(const BarrierStatsSnapshot& row) {
  // Private only: a process-shared barrier's rounds are completed in
  // whichever process arrives last, so released waiters here need no
  // completer here. One count only: otherwise rounds had different sizes.
  if (!row.seen_private || row.seen_shared || row.inits == 0 || row.counts_differ ||
      row.count < 2) {
    return 0;
  }
  // Every completed round releases count - 1 waiters besides its last
  // arriver, so the released waits counted need at least this many rounds.
  const uint64_t released = row.spun + row.yielded + row.slept;
  const uint64_t per_round = row.count - 1;
  const uint64_t needed = (released + per_round - 1) / per_round;
  return needed > row.rounds ? needed - row.rounds : 0;
}

void append_stats_report(TextBuffer& out, const StatsTable& table, StatsFormat format) {
  if (format == StatsFormat::kJson) {
    append_json(out, table);
  } else {
    append_text(out, table);
  }
}

}  // namespace bshim
