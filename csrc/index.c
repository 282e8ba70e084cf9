/* Index-add of rows (embedding backward). */
#include "common.h"

#define TG_TEMPLATE "index_t.h"
#include "instantiate.h"
