// Software prefetch, which Swift cannot express: the Tensors module wraps it (platform.md §1: each
// C module is imported by exactly one Swift module).
#ifndef SWIFTDDP_PREFETCH_H
#define SWIFTDDP_PREFETCH_H

#include <stddef.h>

/// Asks the core to start loading the cache lines of [address, address + bytes) for reading,
/// and returns at once; the loads overlap with whatever runs next.
static inline void swiftddp_prefetch(const void *address, size_t bytes) {
    const char *start = (const char *)address;
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(start + offset, 0, 3);
}

#endif
