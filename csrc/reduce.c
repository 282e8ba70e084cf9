/* sum / max / min (+ arg) over the middle axis of an (outer, n, inner) view. */
#include "common.h"

#define TG_TEMPLATE "reduce_t.h"
#include "instantiate.h"
