// cuBLAS handles belong to streams; the stream's destructor releases its handle here.
#pragma once

#include "common.h"

namespace troupe_cuda {
int destroy_blas_handle(troupe_cuda_stream *s);
}
