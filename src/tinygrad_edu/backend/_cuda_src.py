"""CUDA C++ source of the row kernels of cupy_backend (softmax, log_softmax,
softmax-cross-entropy and column sums), compiled by CuPy's NVRTC on first use and cached.

One block per row. Sums and the row maximum are kept in double, so a float32
row of any length rounds like numpy's float32 pairwise sum or better.
"""

ROW_KERNELS = r"""
__device__ __forceinline__ double tg_nan() { return __longlong_as_double(0x7ff8000000000000LL); }
__device__ __forceinline__ double tg_ninf() { return __longlong_as_double(0xfff0000000000000LL); }

// fmax drops a NaN; a NaN in a row still reaches every output through the sum
template <bool MAX>
__device__ double block_reduce(double v) {
    __shared__ double sh[32];
    for (int o = 16; o > 0; o >>= 1) {
        double u = __shfl_down_sync(0xffffffffu, v, o);
        v = MAX ? fmax(v, u) : v + u;
    }
    const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    __syncthreads();  // the previous call's readers of sh[0] are done
    if (lane == 0) sh[wid] = v;
    __syncthreads();
    const int nw = (blockDim.x + 31) >> 5;
    v = threadIdx.x < nw ? sh[threadIdx.x] : (MAX ? tg_ninf() : 0.0);
    if (wid == 0) {
        for (int o = 16; o > 0; o >>= 1) {
            double u = __shfl_down_sync(0xffffffffu, v, o);
            v = MAX ? fmax(v, u) : v + u;
        }
        if (lane == 0) sh[0] = v;
    }
    __syncthreads();
    return sh[0];
}

template <typename T>
__device__ void row_max_sum(const T* xr, int c, double* m, double* s) {
    double mx = tg_ninf();
    for (int j = threadIdx.x; j < c; j += blockDim.x) mx = fmax(mx, (double)xr[j]);
    mx = block_reduce<true>(mx);
    double acc = 0.0;
    for (int j = threadIdx.x; j < c; j += blockDim.x) acc += exp((double)xr[j] - mx);
    *m = mx;
    *s = block_reduce<false>(acc);
}

template <typename T, bool LOG>
__global__ void softmax_rows(const T* x, T* y, int c) {
    const T* xr = x + (long long)blockIdx.x * c;
    T* yr = y + (long long)blockIdx.x * c;
    double m, s;
    row_max_sum(xr, c, &m, &s);
    if (LOG) {
        const double ls = log(s);
        for (int j = threadIdx.x; j < c; j += blockDim.x) yr[j] = (T)(((double)xr[j] - m) - ls);
    } else {
        for (int j = threadIdx.x; j < c; j += blockDim.x) yr[j] = (T)(exp((double)xr[j] - m) / s);
    }
}

// Column sums of a row-major (n, c) matrix (the bias gradient). Blocks of 32 x 8
// threads: 32 columns per block (coalesced reads), 8 partial sums per column, each
// walking every 8th row, added in shared memory.
template <typename T>
__global__ void col_sums(const T* g, T* out, long long n, int c) {
    __shared__ double part[8][33];
    const int col = blockIdx.x * 32 + threadIdx.x;
    double acc = 0.0;
    if (col < c)
        for (long long r = threadIdx.y; r < n; r += 8) acc += (double)g[r * c + col];
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && col < c) {
        double s = 0.0;
        for (int i = 0; i < 8; i++) s += part[i][threadIdx.x];
        out[col] = (T)s;
    }
}

// The loss from the per-row losses: their sum, over the total weight for 'mean'
template <typename T>
__global__ void xent_reduce(const double* losses, const double* total, long long n, int mean,
                            T* out) {
    double acc = 0.0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) acc += losses[i];
    acc = block_reduce<false>(acc);
    if (threadIdx.x == 0) *out = (T)(mean ? acc / *total : acc);
}

// Loss, gradient and (block 0) the total weight of softmax cross-entropy, one
// block per row. Every block also sums the weights of all rows itself (n reads
// of the targets, from cache), so 'mean' needs no second launch. A class index
// outside [0, c) that is not ignore_index makes that row's loss and gradient NaN.
template <typename T>
__global__ void xent_rows(const T* x, const long long* tgt, const double* weight, int has_w,
                          long long ignore, int mean, long long n, int c,
                          double* losses, T* grad, double* total) {
    const long long r = blockIdx.x;
    double tot = 0.0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        const long long t = tgt[i];
        if (t != ignore && t >= 0 && t < c) tot += has_w ? weight[t] : 1.0;
    }
    tot = block_reduce<false>(tot);
    if (r == 0 && threadIdx.x == 0) *total = tot;
    const long long t = tgt[r];
    const bool keep = t != ignore;
    const bool bad = keep && (t < 0 || t >= c);
    const long long safe = keep && !bad ? t : 0;
    const double w = keep && !bad ? (has_w ? weight[t] : 1.0) : 0.0;
    const T* xr = x + r * c;
    T* gr = grad + r * c;
    double m, s;
    row_max_sum(xr, c, &m, &s);
    const double lse = m + log(s);
    if (threadIdx.x == 0) losses[r] = bad ? tg_nan() : -((double)xr[safe] - lse) * w;
    double scale = w;
    if (mean) scale = tot != 0.0 ? w / tot : (keep ? tg_nan() : 0.0);
    if (bad) scale = tg_nan();
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        double p = exp((double)xr[j] - m) / s;
        if (keep && j == safe) p -= 1.0;
        gr[j] = (T)(p * scale);
    }
}
"""

