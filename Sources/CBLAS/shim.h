// CBLAS: OpenBLAS's cblas.h as one Swift module. Nothing here needs a getter yet:
// CblasRowMajor / CblasTrans import as values and blasint is Int32 (platform.md §1).
#include <cblas.h>
