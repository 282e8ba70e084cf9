/* Expands the template named by TG_TEMPLATE once per dtype. The template sees
   T (element), ACC (accumulator of long sums: double for both, so float sums
   do not drift), SFX (name suffix) and TG_M(f) (the libm function for T). */
#define ACC double
#define T float
#define SFX f32
#define TG_M(fn) fn##f
#include TG_TEMPLATE
#undef T
#undef SFX
#undef TG_M

#define T double
#define TG_M(fn) fn
#define SFX f64
#include TG_TEMPLATE
#undef T
#undef SFX
#undef TG_M
#undef ACC
#undef TG_TEMPLATE
