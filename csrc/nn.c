/* Fused neural-network kernels. */
#include "common.h"

#define TG_TEMPLATE "nn_t.h"
#include "instantiate.h"
