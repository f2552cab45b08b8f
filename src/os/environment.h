// Reading the BARRIER_SHIM_* settings: load time only (getenv is neither
// async-signal-safe nor safe against a concurrent setenv).
//
// One rule for all of them: unset or empty means the default, silently; a
// valid value is used; anything else is ignored (the default is used, as if
// the variable were unset) with one line on stderr that names the variable,
// the value and what is used instead:
//   barrier-shim: BARRIER_SHIM_ROBUST="yes" is not 0 or 1; robust mode is off
// A BARRIER_SHIM_* variable the library does not read is reported too
// (report_unknown_settings), since a misspelt name would otherwise be
// silently without effect.
#pragma once

#include <cstdint>

namespace bshim {

// The value of setting `name`, or nullptr when it is unset or empty.
const char* setting_text(const char* name);

// Writes "barrier-shim: NAME="VALUE" PROBLEM; INSTEAD\n" to stderr, with the
// value cut to a few hundred characters and control characters shown as '?'.
void warn_about_setting(const char* name, const char* value, const char* problem,
                        const char* instead);

// Parses `text` as a whole decimal number without sign or spaces, at most
// `highest`. False for anything else (empty, a sign, a unit, trailing
// characters, overflow).
bool parse_decimal(const char* text, uint64_t highest, uint64_t* value);

// True if `value` can only be a path: it has a '/' or a '.' ("./stats",
// "stats.txt", "/tmp/run"), unlike "1", "yes" or "on".
bool looks_like_path(const char* value);

// Setting `name` as a whole number from `lowest` to `highest`; unset or
// empty: `fallback`, silently; anything else: `fallback`, after a warning
// ("... is not a whole number from 1 to 3600000; using the default, 1000").
uint64_t setting_number(const char* name, uint64_t lowest, uint64_t highest, uint64_t fallback);

// Setting `name` as an on/off switch: "1" on, "0" off, unset or empty off;
// anything else (yes, true, on, 2...) off, after a warning.
// `what` names the feature for the warning ("robust mode").
bool setting_switch(const char* name, const char* what);

// Warns once about every BARRIER_SHIM_* variable in the environment that is
// not one the library reads, suggesting the nearest known name.
void report_unknown_settings();

}  // namespace bshim
