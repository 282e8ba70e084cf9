/* Unary and binary elementwise kernels over contiguous buffers. */
#include "common.h"

#define TG_TEMPLATE "elementwise_t.h"
#include "instantiate.h"
