/* tinygrad_edu C kernels: the ABI. This text is read verbatim into ffi.cdef,
   so it holds only declarations cffi can parse (no preprocessor lines);
   every .c file includes <stdint.h> first. Conventions: contiguous inputs,
   lengths as int64_t, output buffer last, int status: 0 = ok, -1 = invalid
   argument (unknown op, negative length), -2 = out of memory. One entry point per kind, with an op code, keeps the f32/f64
   pairs to one line each and the dispatch in one template. */

enum tg_unary_op {
    TG_NEG = 0, TG_EXP = 1, TG_LOG = 2, TG_SQRT = 3, TG_ABS = 4, TG_TANH = 5,
    TG_SIGMOID = 6, TG_RELU = 7, TG_LEAKY_RELU = 8, TG_STEP = 9, TG_ERF = 10, TG_GELU = 11,
    TG_GELU_TANH = 12
};

enum tg_binary_op {
    TG_ADD = 0, TG_SUB = 1, TG_MUL = 2, TG_DIV = 3, TG_POW = 4,
    TG_MAXIMUM = 5, TG_MINIMUM = 6, TG_RELU_BACKWARD = 7, TG_LEAKY_RELU_BACKWARD = 8,
    TG_GELU_BACKWARD = 9, TG_GELU_TANH_BACKWARD = 10
};

enum tg_reduce_op { TG_SUM = 0, TG_MAX = 1, TG_MIN = 2 };

/* out[i] = op(x[i]); param is the leaky_relu slope, ignored otherwise.
   x may equal out. */
int tg_unary_f32(int op, double param, const float *x, int64_t n, float *out);
int tg_unary_f64(int op, double param, const double *x, int64_t n, double *out);

/* out[i] = op(a[i], b[i]); the activation backwards are (grad=a, x=b) (relu's: its
   output, equal where it matters), param is
   leaky_relu_backward's slope, ignored otherwise. */
int tg_binary_f32(int op, double param, const float *a, const float *b, int64_t n, float *out);
int tg_binary_f64(int op, double param, const double *a, const double *b, int64_t n,
                  double *out);

/* x viewed as (outer, n, inner), reduced over n into out (outer, inner).
   For max/min, arg (may be NULL) receives the first index of the extremum
   (NaN counts as the extremum, as in numpy). n must be >= 1 for max/min. */
int tg_reduce_f32(int op, const float *x, int64_t outer, int64_t n, int64_t inner,
                  int64_t *arg, float *out);
int tg_reduce_f64(int op, const double *x, int64_t outer, int64_t n, int64_t inner,
                  int64_t *arg, double *out);

/* c[b] = op(a[b]) @ op(b[b]) for each of `batch` contiguous matrices, where
   op(a) is (m, k) and op(b) is (k, n); ta: a is stored (k, m); tb: b is
   stored (n, k). Needs scratch memory, so may return -2. */
int tg_matmul_f32(const float *a, const float *b, int64_t batch, int64_t m,
                  int64_t n, int64_t k, int ta, int tb, float *c);
int tg_matmul_f64(const double *a, const double *b, int64_t batch, int64_t m,
                  int64_t n, int64_t k, int ta, int tb, double *c);

/* Row-wise softmax (log_ = 0) or log_softmax (log_ = 1) of (rows, n). */
int tg_softmax_f32(int log_, const float *x, int64_t rows, int64_t n, float *out);
int tg_softmax_f64(int log_, const double *x, int64_t rows, int64_t n, double *out);

/* Layer norm of the rows of (rows, n): xhat = (x - mean) * rstd with rstd = 1 /
   sqrt(biased var + eps) (rstd has one entry a row), out = xhat * w + b (w, b of n
   entries, or NULL). The gradient: dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
   by rows, for g the gradient of xhat. */
int tg_layer_norm_f32(const float *x, const float *w, const float *b, int64_t rows,
                      int64_t n, double eps, float *out, float *xhat, float *rstd);
int tg_layer_norm_f64(const double *x, const double *w, const double *b, int64_t rows,
                      int64_t n, double eps, double *out, double *xhat, double *rstd);
int tg_layer_norm_grad_f32(const float *g, const float *xhat, const float *rstd,
                           int64_t rows, int64_t n, float *dx);
int tg_layer_norm_grad_f64(const double *g, const double *xhat, const double *rstd,
                           int64_t rows, int64_t n, double *dx);

/* Batch norm (training) of x viewed as (n, c, s): per channel, over its n * s values,
   mean and biased var (accumulated in double), rstd = 1 / sqrt(var + eps), and
   out = (x - mean) * scale + b with scale = rstd * w (w, b of c entries, or NULL).
   The gradient from g, x, mean and rstd: with z = (x - mean) * rstd and M = n * s,
   db = sum g, dw = sum g z, dx = rstd w (g - db / M - z dw / M) (w NULL: 1).
   -1 when n, c or s < 1; -2 out of memory. */
int tg_batch_norm_f32(const float *x, const float *w, const float *b, int64_t n, int64_t c,
                      int64_t s, double eps, float *out, float *mean, float *var, float *rstd);
int tg_batch_norm_f64(const double *x, const double *w, const double *b, int64_t n,
                      int64_t c, int64_t s, double eps, double *out, double *mean,
                      double *var, double *rstd);
int tg_batch_norm_grad_f32(const float *g, const float *x, const float *mean,
                           const float *rstd, const float *w, int64_t n, int64_t c,
                           int64_t s, float *dx, float *dw, float *db);
int tg_batch_norm_grad_f64(const double *g, const double *x, const double *mean,
                           const double *rstd, const double *w, int64_t n, int64_t c,
                           int64_t s, double *dx, double *dw, double *db);

/* Build and runtime facts; flags is the compile-flag string of the build. */
int tg_built_avx2(void);
int tg_built_fma(void);
int tg_built_openmp(void);
int tg_cpu_avx2(void);
int tg_cpu_fma(void);
int tg_get_num_threads(void);
void tg_set_num_threads(int n);
const char *tg_compile_flags(void);

/* glibc only: raise malloc's mmap and trim thresholds (bytes); 1 if applied. */
int tg_tune_malloc(size_t mmap_threshold, size_t trim_threshold);

/* ---- fused kernels (fused.c, optim.c) ---- */
/* Softmax-cross-entropy of scores x (rows, n) against target classes, forward
   and backward in one pass, in double inside. weight (per class) may be NULL;
   rows whose target is ignore_index weigh 0. loss[r] = -w_r log p[r, t_r];
   *total = sum of w_r; grad = (softmax(x) - onehot(t)) * w_r (/ total if mean).
   -1 for a target outside [0, n) that is not ignore_index. */
int tg_softmax_xent_f32(const float *x, int64_t rows, int64_t n, const int64_t *target,
                        const double *weight, int64_t ignore_index, int mean,
                        double *loss, double *total, float *grad);
int tg_softmax_xent_f64(const double *x, int64_t rows, int64_t n, const int64_t *target,
                        const double *weight, int64_t ignore_index, int mean,
                        double *loss, double *total, double *grad);

/* SGD step in place (optim/sgd.py's arithmetic): buf NULL without momentum;
   first: the momentum buffer starts as the gradient. */
int tg_sgd_f32(float *p, const float *g, float *buf, int64_t n, double neg_lr,
               double weight_decay, double momentum, double damp1, int nesterov,
               int maximize, int first);
int tg_sgd_f64(double *p, const double *g, double *buf, int64_t n, double neg_lr,
               double weight_decay, double momentum, double damp1, int nesterov,
               int maximize, int first);

/* Adam step in place (optim/adam.py without amsgrad): p *= decay (AdamW),
   L2 weight_decay added to g, m = lerp(m, g, w1), v = beta2 v + c2 g g,
   p += m * neg_step_size / (sqrt(v) / bc2_sqrt + eps). */
int tg_adam_f32(float *p, const float *g, float *m, float *v, int64_t n, double decay,
                double weight_decay, double w1, double beta2, double c2, double eps,
                double neg_step_size, double bc2_sqrt, int maximize);
int tg_adam_f64(double *p, const double *g, double *m, double *v, int64_t n, double decay,
                double weight_decay, double w1, double beta2, double c2, double eps,
                double neg_step_size, double bc2_sqrt, int maximize);

/* ---- the linear layer (gemm.c) ---- */
/* out (m, n) = x @ w.T + bias: x (m, k), w (n, k), bias (n) or NULL; the bias is
   added while the GEMM stores its result; out is written without being read. */
int tg_linear_f32(const float *x, const float *w, const float *bias, int64_t m,
                  int64_t n, int64_t k, float *out);
int tg_linear_f64(const double *x, const double *w, const double *bias, int64_t m,
                  int64_t n, int64_t k, double *out);
/* 1 when float32 GEMM runs the packed AVX2/FMA kernel */
int tg_gemm_simd(void);

/* ---- convolution windows (conv.c) ---- */
/* im2col: x (n, c, h, w) -> out (n, c*kh*kw, oh*ow) in PyTorch's F.unfold layout,
   zero padding; kernel kh x kw, dilation dh x dw, padding ph x pw, stride sh x sw;
   oh = (h + 2 ph - dh (kh - 1) - 1) / sh + 1, likewise ow. -1 when oh or ow < 1,
   a kernel, dilation or stride < 1, or a negative size or padding. */
int tg_im2col_f32(const float *x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                  int64_t kw, int64_t dh, int64_t dw, int64_t ph, int64_t pw, int64_t sh,
                  int64_t sw, float *out);
int tg_im2col_f64(const double *x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                  int64_t kw, int64_t dh, int64_t dw, int64_t ph, int64_t pw, int64_t sh,
                  int64_t sw, double *out);
/* col2im, the adjoint: cols (n, c*kh*kw, oh*ow) -> out (n, c, h, w), each window's
   values added where im2col read them (padding dropped); out is written, not read. */
int tg_col2im_f32(const float *cols, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                  int64_t kw, int64_t dh, int64_t dw, int64_t ph, int64_t pw, int64_t sh,
                  int64_t sw, float *out);
int tg_col2im_f64(const double *cols, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                  int64_t kw, int64_t dh, int64_t dw, int64_t ph, int64_t pw, int64_t sh,
                  int64_t sw, double *out);
/* Max pooling of x (n, c, h, w), already padded (with -inf): out (n, c, oh, ow) the
   first maximum of each kh x kw window (dilation dh x dw, stride sh x sw; NaN counts
   as a maximum), arg its flat index in the h x w plane. -1 for a bad geometry. */
int tg_maxpool_f32(const float *x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                   int64_t kw, int64_t dh, int64_t dw, int64_t sh, int64_t sw, float *out,
                   int64_t *arg);
int tg_maxpool_f64(const double *x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                   int64_t kw, int64_t dh, int64_t dw, int64_t sh, int64_t sw, double *out,
                   int64_t *arg);
/* Its gradient: out (n, c, h, w) zeros with grad (n, c, oh, ow) added at arg; -1 for a
   bad geometry or an arg outside its plane. */
int tg_maxpool_backward_f32(const float *grad, const int64_t *arg, int64_t n, int64_t c,
                            int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t dh,
                            int64_t dw, int64_t sh, int64_t sw, float *out);
int tg_maxpool_backward_f64(const double *grad, const int64_t *arg, int64_t n, int64_t c,
                            int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t dh,
                            int64_t dw, int64_t sh, int64_t sw, double *out);
/* One LSTM step's pointwise part: gates (rows, 4n) in order i, f, g, o and c (rows, n) give
   h, c2 (rows, n), k1 (rows, 4n), k2 and f (rows, n); see csrc/lstm_t.h. All contiguous
   and apart. -1 for a negative size. */
int tg_lstm_cell_f32(const float *gates, const float *c, int64_t rows, int64_t n, float *h,
                     float *c2, float *k1, float *k2, float *f);
int tg_lstm_cell_f64(const double *gates, const double *c, int64_t rows, int64_t n, double *h,
                     double *c2, double *k1, double *k2, double *f);
/* Rows added at indices (an embedding's backward): out (rows, cols) += src (n, cols) at
   the rows idx (n), in order (numpy's add.at); -rows <= idx < rows. -1 for a bad size
   or index (nothing written). */
int tg_index_add_f32(float *out, const int64_t *idx, const float *src, int64_t n,
                     int64_t rows, int64_t cols);
int tg_index_add_f64(double *out, const int64_t *idx, const double *src, int64_t n,
                     int64_t rows, int64_t cols);
