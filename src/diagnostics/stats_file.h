// The live file of the statistics (BARRIER_SHIM_STATS): the process's
// statistics table (stats_table.h), mapped from a file so that the counts
// outlive the process however it ends (SIGTERM, SIGINT, SIGKILL, _exit, a
// crash) and can be read while it runs: `barrier-shim-stats FILE` renders it
// as the report. Named DIRECTORY/barrier-shim-stats.PID.live (PID-2, PID-3...
// when that name is taken, as by the file of an earlier process with the
// same pid). Removed once the report at exit has been written, so what is
// left behind is the statistics of processes that wrote none.
#pragma once

namespace bshim {

// Creates the live file in `directory` and maps it over the table, which
// must be empty yet; false if it cannot (the table then stays in private
// memory; the caller warns). Load time.
bool stats_map_live_file(const char* directory);

// Fills in the table's header for this process: layout, pid, program, time.
void stats_write_header();

// The live file's path, or nullptr if there is none.
const char* stats_live_file_path();

// Removes the live file (its table stays mapped, and counts on unseen).
void stats_remove_live_file();

// In the child of fork(), single-threaded: a table of its own, empty, in a
// live file of its own when the parent had one (else in private memory),
// with its own header. The parent's file is left as it is. False if the
// child could get no table of its own (no memory to map): it must then
// record nothing, or it would count into its parent's file.
bool stats_start_in_child();

}  // namespace bshim
