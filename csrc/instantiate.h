/* Expands the template named by TG_TEMPLATE once per dtype. The template sees
   T (element), TI (int of T's width), ACC (accumulator of long sums: double for both, so float sums
   do not drift), SFX (name suffix) and TG_M(f) (the libm function for T). */
#define ACC double
#define T float
#define TI int32_t
#define SFX f32
#define TG_M(fn) fn##f
#include TG_TEMPLATE
#undef T
#undef TI
#undef SFX
#undef TG_M

#define T double
#define TI int64_t
#define TG_M(fn) fn
#define SFX f64
#include TG_TEMPLATE
#undef T
#undef TI
#undef SFX
#undef TG_M
#undef ACC
#undef TG_TEMPLATE
