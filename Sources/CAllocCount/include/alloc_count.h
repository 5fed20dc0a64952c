// Counts heap allocations made through malloc, calloc, realloc, posix_memalign, aligned_alloc
// and memalign, by interposing those symbols in the executable that links this target (the
// benchmark only; never the swiftddp command). The counts are per thread, so a background
// thread (the MPI progress engine, a checkpoint writer) does not blur the training thread's.
#ifndef ALLOC_COUNT_H
#define ALLOC_COUNT_H

#include <stdint.h>

/// Allocations made so far by the calling thread.
uint64_t alloc_count_thread(void);

/// Allocations made so far by all threads.
uint64_t alloc_count_total(void);

#endif
