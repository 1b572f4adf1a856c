/* Stand-ins for cuBLAS and NCCL with the entry points libtroupe_cuda resolves, so the library
 * search can be checked on a machine without either (check-loader.sh). Nothing here computes. */
#include <string.h>

#ifdef FAKE_CUBLAS
int cublasCreate_v2(void **h) { *h = 0; return 1; /* CUBLAS_STATUS_NOT_INITIALIZED */ }
int cublasDestroy_v2(void *h) { (void)h; return 0; }
int cublasSetStream_v2(void *h, void *s) { (void)h; (void)s; return 0; }
int cublasSgemm_v2(void) { return 0; }
#endif

#ifdef FAKE_NCCL
int ncclGetVersion(int *v) { *v = 29999; return 0; }
int ncclGetUniqueId(char *id) { memset(id, 7, 128); return 0; }
int ncclCommInitRank(void) { return 2; }
int ncclAllReduce(void) { return 0; }
int ncclBroadcast(void) { return 0; }
int ncclSend(void) { return 0; }
int ncclRecv(void) { return 0; }
int ncclGroupStart(void) { return 0; }
int ncclGroupEnd(void) { return 0; }
int ncclCommGetAsyncError(void) { return 0; }
int ncclCommAbort(void) { return 0; }
int ncclCommDestroy(void) { return 0; }
const char *ncclGetErrorString(int r) { (void)r; return "fake error"; }
#endif
