/* The LSTM step's pointwise kernel. */
#include "common.h"

#define TG_TEMPLATE "lstm_t.h"
#include "instantiate.h"
