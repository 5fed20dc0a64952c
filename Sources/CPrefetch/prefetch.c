// The prefetch is a static inline function in include/prefetch.h; this file gives the C target
// the one translation unit SwiftPM needs.
#include "prefetch.h"
