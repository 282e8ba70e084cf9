/* Optimizer updates in place, template. Each line is one numpy operation of
   optim/sgd.py / optim/adam.py in the same order, each constant rounded to T
   as numpy rounds a Python float against a T array, and no FMA contraction
   (optim.c turns it off): the result equals the numpy path bit for bit. */

typedef struct {
    T *p, *b, *m, *v; const T *g;
    double neg_lr, wd, mom, damp1, decay, w1, beta2, c2, eps, bc2;
    int nesterov, maximize, first, l2;
} TG_FN(opt_ctx);

static void TG_FN(sgd_range)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(opt_ctx) *c = vc;
    T *p = c->p, *b = c->b;
    const T *gr = c->g;
    const T neg_lr = (T)c->neg_lr, wd = (T)c->wd, mom = (T)c->mom, damp1 = (T)c->damp1;
    const int l2 = c->l2, neg = c->maximize, nest = c->nesterov, first = c->first;
    for (int64_t i = lo; i < hi; ++i) {
        T g = neg ? -gr[i] : gr[i];
        g = l2 ? g + p[i] * wd : g;
        if (b) {
            T bi = first ? g : b[i] * mom + g * damp1;
            b[i] = bi;
            g = nest ? g + bi * mom : bi;
        }
        p[i] = p[i] + g * neg_lr;
    }
}

static void TG_FN(adam_range)(void *vc, int64_t lo, int64_t hi)
{
    const TG_FN(opt_ctx) *c = vc;
    T *p = c->p, *m = c->m, *v = c->v;
    const T *gr = c->g;
    const T wd = (T)c->wd, decay = (T)c->decay, beta2 = (T)c->beta2, c2 = (T)c->c2;
    const T eps = (T)c->eps, bc2 = (T)c->bc2, neg_step = (T)c->neg_lr;
    /* _lerp_: start from the nearer end */
    const int near_m = c->w1 < 0.5;
    const T w = (T)(near_m ? c->w1 : 1.0 - c->w1);
    const int l2 = c->l2, neg = c->maximize;
    for (int64_t i = lo; i < hi; ++i) {
        T g = neg ? -gr[i] : gr[i];
        g = l2 ? g + p[i] * wd : g;
        T pi = p[i] * decay;
        T d = g - m[i];
        T mi = near_m ? m[i] + d * w : g - d * w;
        T vi = v[i] * beta2 + (g * c2) * g;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi + (mi * neg_step) / (TG_M(sqrt)(vi) / bc2 + eps);
    }
}

int TG_FN(tg_sgd)(T *p, const T *g, T *buf, int64_t n, double neg_lr, double weight_decay,
                  double momentum, double damp1, int nesterov, int maximize, int first)
{
    if (n < 0)
        return -1;
    TG_FN(opt_ctx) c = {p, buf, NULL, NULL, g, neg_lr, weight_decay, momentum, damp1,
                        1.0, 0, 0, 0, 0, 0, nesterov, maximize, first, weight_decay != 0};
    tg_par_range(n, 2 * n, TG_FN(sgd_range), &c);
    return 0;
}

int TG_FN(tg_adam)(T *p, const T *g, T *m, T *v, int64_t n, double decay, double weight_decay,
                   double w1, double beta2, double c2, double eps, double neg_step_size,
                   double bc2_sqrt, int maximize)
{
    if (n < 0)
        return -1;
    TG_FN(opt_ctx) c = {p, NULL, m, v, g, neg_step_size, weight_decay, 0, 0, decay, w1,
                        beta2, c2, eps, bc2_sqrt, 0, maximize, 0, weight_decay != 0};
    tg_par_range(n, 4 * n, TG_FN(adam_range), &c);
    return 0;
}
