// See include/byte_rows.h. The compiler builds each loop for AVX-512, AVX2 and baseline x86-64,
// and the loader picks the best one for the CPU at load time (target_clones, an ifunc); the
// results are the same bits on all three, since every operation is one IEEE rounding and
// contraction into fused multiply-adds is off.
#include "byte_rows.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__linux__)
#define SWIFTDDP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SWIFTDDP_CLONES
#endif

SWIFTDDP_CLONES
void swiftddp_bytes_to_floats(const uint8_t *source, float *destination, size_t count,
                              float multiplier, float offset, int terms) {
    switch (terms) {
    case 0:
        for (size_t j = 0; j < count; j++) destination[j] = (float)source[j];
        break;
    case 1:
        for (size_t j = 0; j < count; j++) destination[j] = (float)source[j] * multiplier;
        break;
    default:
        for (size_t j = 0; j < count; j++) {
            float scaled = (float)source[j] * multiplier;
            destination[j] = scaled + offset;
        }
    }
}

SWIFTDDP_CLONES
void swiftddp_bytes_to_floats_per_feature(const uint8_t *source, float *destination, size_t count,
                                          const float *multiplier, const float *offset) {
    for (size_t j = 0; j < count; j++) {
        float scaled = (float)source[j] * multiplier[j];
        destination[j] = scaled + offset[j];
    }
}
