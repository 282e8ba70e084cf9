/* Batch norm's training forward (per-channel statistics and the normalised output)
   and its backward (dx, dw, db). */
#include "common.h"

#define TG_TEMPLATE "batchnorm_t.h"
#include "instantiate.h"
