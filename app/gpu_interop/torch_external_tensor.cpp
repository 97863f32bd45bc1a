#include "gpu_interop/torch_external_tensor.h"

#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

#include <stdexcept>

namespace shape::gpu {

torch::Tensor rgba_tensor_over(std::shared_ptr<CudaExternalMemory> memory, int64_t height, int64_t width) {
  if (height <= 0 || width <= 0) throw std::invalid_argument("rgba_tensor_over: empty image");
  if (static_cast<std::size_t>(height * width * 4) > memory->size()) {
    throw std::length_error("rgba_tensor_over: image larger than the shared buffer");
  }
  void* data = memory->pointer();
  const auto options = torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA, memory->device());
  // The deleter owns a reference: the CUDA import (and its mapping) is freed after the last tensor.
  return torch::from_blob(data, {height, width, 4}, [keep_alive = std::move(memory)](void*) {}, options);
}

void signal_on_current_stream(const CudaExternalTimelineSemaphore& semaphore, uint64_t value) {
  const c10::cuda::CUDAStream stream =
      c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(semaphore.device()));
  semaphore.signal(value, stream.stream());
}

}  // namespace shape::gpu
