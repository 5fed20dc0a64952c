// Normalizing uint8 feature rows into floats (Data's FeatureRows, for training shards kept as
// bytes), in C so that it can use the CPU's widest vectors: Swift builds for baseline x86-64
// (SSE2) unless given unsafe flags, and its conversion loop was slower than the memory it saves.
#ifndef SWIFTDDP_BYTE_ROWS_H
#define SWIFTDDP_BYTE_ROWS_H

#include <stddef.h>
#include <stdint.h>

/// destination[j] = (float)source[j] · multiplier + offset for j < count, rounded after the
/// multiplication and again after the addition (never fused), exactly as DatasetShard.load's
/// float path computes it. `terms` picks the arithmetic of that path: 0: x; 1: x · multiplier;
/// 2: x · multiplier + offset.
void swiftddp_bytes_to_floats(const uint8_t *source, float *destination, size_t count,
                              float multiplier, float offset, int terms);

/// destination[j] = (float)source[j] · multiplier[j] + offset[j] for j < count (never fused).
void swiftddp_bytes_to_floats_per_feature(const uint8_t *source, float *destination, size_t count,
                                          const float *multiplier, const float *offset);

#endif
