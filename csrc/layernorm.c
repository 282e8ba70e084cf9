/* Layer norm forward and its input gradient. */
#include "common.h"

#define TG_TEMPLATE "layernorm_t.h"
#include "instantiate.h"
