// "SIGSEGV" rather than "Segmentation fault": verdicts name signals the way
// people grep for them.
#pragma once

#include <string>

namespace watchdog {

std::string signal_name(int signal_number);

}  // namespace watchdog
