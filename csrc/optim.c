/* Optimizer update kernels (SGD, Adam/AdamW) in place. */
/* a * b + c must round twice, as numpy's separate multiply and add do */
#pragma GCC optimize("fp-contract=off")
#include "common.h"

#define TG_TEMPLATE "optim_t.h"
#include "instantiate.h"
