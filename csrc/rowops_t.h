/* Row helpers shared by reduce_t.h and nn_t.h (static: one copy per file). */

static ACC TG_FN(row_sum)(const T *x, int64_t n)
{
    /* eight independent partial sums: vectorisable without -ffast-math and
       more accurate than one running sum */
    ACC acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j)
            acc[j] += x[i + j];
    for (; i < n; ++i)
        s += x[i];
    return s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
           ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Index of the first max (op TG_MAX) or min of x[0..n), n >= 1; the first
   NaN wins outright, as in numpy. */
static int64_t TG_FN(row_arg)(int op, const T *x, int64_t n, T *best_out)
{
    T best = x[0];
    int64_t bi = 0;
    if (best == best) {
        for (int64_t i = 1; i < n; ++i) {
            T v = x[i];
            if (op == TG_MAX ? v > best : v < best) {
                best = v;
                bi = i;
            } else if (v != v) {
                best = v;
                bi = i;
                break;
            }
        }
    }
    *best_out = best;
    return bi;
}
