// Error handling for CUDA runtime calls: CUDA_CHECK throws CudaError naming the call and the error.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace shape::gpu {

class CudaError : public std::runtime_error {
 public:
  CudaError(cudaError_t error, const std::string& what) : std::runtime_error(what), error_(error) {}
  cudaError_t error() const { return error_; }

 private:
  cudaError_t error_;
};

[[noreturn]] inline void throw_cuda_error(cudaError_t error, const char* call) {
  throw CudaError(error, std::string(call) + " failed: " + cudaGetErrorName(error) + " (" +
                             cudaGetErrorString(error) + ")");
}

}  // namespace shape::gpu

#define CUDA_CHECK(call)                                                       \
  do {                                                                         \
    const cudaError_t cuda_check_error_ = (call);                              \
    if (cuda_check_error_ != cudaSuccess) ::shape::gpu::throw_cuda_error(cuda_check_error_, #call); \
  } while (false)
