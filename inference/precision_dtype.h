// The torch dtype of a Precision, for the model code (the CLI and GUI include precision.h only).
#pragma once

#include <c10/core/ScalarType.h>

#include "inference/precision.h"

namespace shape {

c10::ScalarType scalar_type_of(Precision precision);

}  // namespace shape
