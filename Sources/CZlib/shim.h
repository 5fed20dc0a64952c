// CZlib: zlib's gzip reader, used to read the IDX files that Debian ships gzip-compressed.
#include <zlib.h>
