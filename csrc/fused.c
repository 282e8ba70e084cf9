/* Fused nn kernel: softmax-cross-entropy. */
#include "common.h"

/* exp and row helpers for both dtypes first: the cross-entropy of float32
   runs in double */
#define TG_TEMPLATE "vexp_t.h"
#include "instantiate.h"
#define TG_TEMPLATE "rowops_t.h"
#include "instantiate.h"

#define TG_TEMPLATE "fused_t.h"
#include "instantiate.h"
