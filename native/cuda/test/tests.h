// The parts of cuda_selftest, each in its own file.
#pragma once

void run_kernel_tests();    // kernels.cpp: every kernel against the CPU reference
void run_error_tests(bool have_gpu);  // errors.cpp: bad calls return a status and a message
void run_sgemm_bench();     // sgemm_bench.cpp: cuBLAS SGEMM 4096^3 through Troupe, TFLOP/s
void run_nccl_tests();      // nccl.cpp: a one-rank communicator
