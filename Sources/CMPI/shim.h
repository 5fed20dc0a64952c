// CMPI: Open MPI's predefined handles are macros over globals that Swift cannot import
// ("macro unavailable: structure not supported"), so each one gets a one-line getter.
#include <mpi.h>
static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype cmpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Op cmpi_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_max(void) { return MPI_MAX; }
static inline MPI_Op cmpi_min(void) { return MPI_MIN; }
static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *cmpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline MPI_Info cmpi_info_null(void) { return MPI_INFO_NULL; }

// Ordering for the counters of the shared-memory gradient reduction (CommMPI/SharedMemoryReduction):
// ranks on one node publish progress by storing into a window all of them map, and read each
// other's with acquire loads, so the gradient values written before a release store are visible
// after the matching acquire load. (MPI's unified memory model on one node makes plain stores
// visible; these add the compiler and CPU ordering.)
#include <stdint.h>
#include <sched.h>
static inline int64_t cmpi_load_acquire(const int64_t *address) { return __atomic_load_n(address, __ATOMIC_ACQUIRE); }
static inline void cmpi_store_release(int64_t *address, int64_t value) { __atomic_store_n(address, value, __ATOMIC_RELEASE); }
static inline void cmpi_yield(void) { sched_yield(); }
