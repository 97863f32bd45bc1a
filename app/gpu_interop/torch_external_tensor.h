// LibTorch's view of the shared preview buffer (built only against a CUDA LibTorch): the NeRF
// renderer writes its RGBA8 image into the tensor, then the frame is signalled on LibTorch's current
// CUDA stream, so Vulkan's copy starts after exactly that stream's work (no device-wide sync).
#pragma once

#include "gpu_interop/cuda_external_memory.h"
#include "gpu_interop/cuda_external_semaphore.h"

#include <torch/types.h>

#include <cstdint>
#include <memory>

namespace shape::gpu {

// A uint8 CUDA tensor [height, width, 4] over the start of the imported memory. The tensor's
// deleter holds `memory`, so the import outlives every tensor that views it.
torch::Tensor rgba_tensor_over(std::shared_ptr<CudaExternalMemory> memory, int64_t height, int64_t width);

// Signals `semaphore` to `value` on LibTorch's current CUDA stream of the semaphore's device.
void signal_on_current_stream(const CudaExternalTimelineSemaphore& semaphore, uint64_t value);

}  // namespace shape::gpu
