/* Matrix multiply, 2-D and batched, with transpose flags. */
#include "common.h"

#define TG_TEMPLATE "gemm_t.h"
#include "instantiate.h"
