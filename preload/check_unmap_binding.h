// A warning at load time when the program's unmap calls bind to an object
// loaded before the shim (check_unmap_binding.cc).
#pragma once

namespace bshim_preload {
void warn_if_unmap_calls_bypass_the_shim();
}  // namespace bshim_preload
