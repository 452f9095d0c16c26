/*
 * darla-ts training kernels for tfjs-backend-wasm, in C for clang's wasm32 target with SIMD128
 * (built by build.sh; loaded by ../native.ts).
 *
 * The module owns no memory: it imports the tfjs wasm backend's own linear memory, so it reads and
 * writes tfjs tensors where they live (no copies in or out). Every buffer it touches is passed in
 * by pointer; it has no static data. Each thread (the main thread and each helper worker) runs its
 * own instance on the same memory.
 *
 * Jobs are loops over "tiles" that threads claim from a shared counter. A tile's outputs are
 * computed by one thread, always in the same order, so results do not depend on the number of
 * threads or on which thread ran which tile.
 *   gather_conv  out[i, j, :] = Σ_taps Σ_c src[pixel(i, j, tap), c] · B[tap, c, :]  — an implicit
 *                GEMM over an NHWC tensor: the forward convolution (taps = filter taps), one
 *                phase of a transposed convolution / input gradient (taps = that phase's sub-filter,
 *                outputs written at stride s into dX, so no interleave copy), and a matmul (one tap).
 *   filter_grad  dW[kh, kw, ci, co] = Σ_{n,oh,ow} x[n, ih, iw, ci] · dy[n, oh, ow, co]: the
 *                weight gradient, summed in registers over blocks of output positions, in a fixed
 *                number of chunks whose partial sums grad_reduce adds in a fixed order.
 *   sum_rows     bias gradients: float64 sums over fixed slices, added in order by sum_rows_finish.
 *   elementwise  softplus, bias add, multiply, ReLU and its step mask.
 * And, called directly: pack_b / pack_bt (a filter as the GEMM's B operand), softplus_constants,
 * bias_pattern. Float32 throughout (float64 for the sums); products are summed in a fixed order.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))
#define INLINE static inline __attribute__((always_inline))

typedef v128_t f4;

INLINE f4 mac(f4 acc, f4 a, f4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }

/* Claims the next tile. With the threads build this is an atomic fetch-add on shared memory. */
INLINE int32_t claim(int32_t* counter) {
#ifdef DARLA_THREADS
  return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
#else
  return (*counter)++;
#endif
}

/* ---------------------------------------------------------------------------------------------
 * pack_b: B[t·R + r][n] = W[tap[t] + r·rowStride + n·colStride], as panels [ceil(N/NR)][ntaps·R][NR]
 * with the columns past N zero.
 */
EXPORT void pack_b(const float* w, const int32_t* tap, int32_t ntaps, int32_t R, int32_t N, int32_t rowStride, int32_t colStride,
                   int32_t NR, float* out) {
  const int32_t K = ntaps * R;
  for (int32_t p = 0; p * NR < N; p++) {
    float* panel = out + p * K * NR;
    const int32_t n0 = p * NR;
    const int32_t nn = N - n0 < NR ? N - n0 : NR;
    for (int32_t t = 0; t < ntaps; t++) {
      for (int32_t r = 0; r < R; r++) {
        const float* src = w + tap[t] + r * rowStride + n0 * colStride;
        float* dst = panel + (t * R + r) * NR;
        int32_t n = 0;
        for (; n < nn; n++) dst[n] = src[n * colStride];
        for (; n < NR; n++) dst[n] = 0.0f;
      }
    }
  }
}

/* pack_bt: the same filter values as pack_b, as rows per output column: B[n][t·R + r]. */
EXPORT void pack_bt(const float* w, const int32_t* tap, int32_t ntaps, int32_t R, int32_t N, int32_t rowStride, int32_t colStride,
                    float* out) {
  const int32_t K = ntaps * R;
  for (int32_t n = 0; n < N; n++) {
    for (int32_t t = 0; t < ntaps; t++) {
      for (int32_t r = 0; r < R; r++) out[n * K + t * R + r] = w[tap[t] + r * rowStride + n * colStride];
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * gather_conv
 */
typedef struct {
  int32_t next;       /* tile counter (claimed by every thread) */
  int32_t ntiles;     /* tiles = ceil(N·OH·OW / ROWS_PER_TILE) */
  const float* src;   /* [N, SH, SW, C] */
  int32_t N, SH, SW, C;
  float* dst;         /* [N, DH, DW, DC] */
  int32_t DH, DW, DC;
  int32_t OH, OW;     /* output grid of this job */
  int32_t sy, sx;     /* source pixel of (i, j, tap (u, v)) = (i·sy + u·ty + oy, j·sx + v·tx + ox) */
  int32_t ty, tx;
  int32_t oy, ox;
  int32_t KH, KW;     /* taps */
  int32_t osy, osx;   /* destination pixel of (i, j) = (i·osy + py, j·osx + px) */
  int32_t py, px;
  const float* B;     /* pack_b panels [ceil(DC/NR)][KH·KW·C][NR] */
  int32_t NR;         /* 8 or 4 */
  const float* zeros; /* at least max(C, K) zeros (taps that fall outside src; absent rows) */
  float* scratch;     /* per thread: scratchStride floats each */
  int32_t scratchStride;
  int32_t packed;     /* 1: gather each row into one contiguous row of K floats first (small C) */
  int32_t dot;        /* 1: DC ≤ 4 and C % 4 == 0: dot products along C, B from pack_bt [DC][K] */
  int32_t nphase;     /* blocks in this job (block 0's value counts): the sub-pixel phases of a dX */
} GatherConv;

#define MR 4
#define ROWS_PER_TILE 32

/*
 * Four output rows × (4·NV) columns: acc += Σ_t Σ_c a_r[t][c] · b[t·C + c][:]. The rows' source
 * pointers for tap t are a[t·4 + r]. Stores to out[r] (NULL rows: not stored).
 */
#define GATHER_KERNEL(NV)                                                                                   \
  INLINE void gather_kernel_##NV(int32_t ntaps, int32_t C, const float* const* a, const float* b, float* const* out) { \
    f4 z = wasm_f32x4_splat(0.0f);                                                                          \
    f4 c00 = z, c10 = z, c20 = z, c30 = z;                                                                  \
    f4 c01 = z, c11 = z, c21 = z, c31 = z;                                                                  \
    for (int32_t t = 0; t < ntaps; t++) {                                                                   \
      const float* a0 = a[4 * t];                                                                           \
      const float* a1 = a[4 * t + 1];                                                                       \
      const float* a2 = a[4 * t + 2];                                                                       \
      const float* a3 = a[4 * t + 3];                                                                       \
      for (int32_t c = 0; c < C; c++) {                                                                     \
        f4 b0 = wasm_v128_load(b);                                                                          \
        f4 b1 = NV == 2 ? wasm_v128_load(b + 4) : z;                                                        \
        b += 4 * NV;                                                                                        \
        f4 v = wasm_v128_load32_splat(a0 + c);                                                              \
        c00 = mac(c00, v, b0);                                                                              \
        if (NV == 2) c01 = mac(c01, v, b1);                                                                 \
        v = wasm_v128_load32_splat(a1 + c);                                                                 \
        c10 = mac(c10, v, b0);                                                                              \
        if (NV == 2) c11 = mac(c11, v, b1);                                                                 \
        v = wasm_v128_load32_splat(a2 + c);                                                                 \
        c20 = mac(c20, v, b0);                                                                              \
        if (NV == 2) c21 = mac(c21, v, b1);                                                                 \
        v = wasm_v128_load32_splat(a3 + c);                                                                 \
        c30 = mac(c30, v, b0);                                                                              \
        if (NV == 2) c31 = mac(c31, v, b1);                                                                 \
      }                                                                                                     \
    }                                                                                                       \
    if (out[0]) { wasm_v128_store(out[0], c00); if (NV == 2) wasm_v128_store(out[0] + 4, c01); }            \
    if (out[1]) { wasm_v128_store(out[1], c10); if (NV == 2) wasm_v128_store(out[1] + 4, c11); }            \
    if (out[2]) { wasm_v128_store(out[2], c20); if (NV == 2) wasm_v128_store(out[2] + 4, c21); }            \
    if (out[3]) { wasm_v128_store(out[3], c30); if (NV == 2) wasm_v128_store(out[3] + 4, c31); }            \
  }
GATHER_KERNEL(1)
GATHER_KERNEL(2)

/* Lanes summed in a fixed order: (l0 + l2) + (l1 + l3). */
INLINE float hsum(f4 v) {
  f4 h = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  return wasm_f32x4_extract_lane(h, 0) + wasm_f32x4_extract_lane(h, 1);
}

/*
 * Few output channels (DCN ≤ 4): two output rows, out[r][d] = Σ_t Σ_c a_r[t][c] · bt[d·K + t·C + c],
 * four channels c per vector, lanes summed at the end. (A panel of 4 columns would leave lanes idle
 * and load more than it multiplies.)
 */
#define DOT_KERNEL(DCN)                                                                                      \
  INLINE void dot_kernel_##DCN(int32_t ntaps, int32_t C, const float* const* a, int32_t r0, const float* bt, int32_t K, \
                               float* o0, float* o1) {                                                      \
    f4 z = wasm_f32x4_splat(0.0f);                                                                          \
    f4 s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z;                              \
    for (int32_t t = 0; t < ntaps; t++) {                                                                   \
      const float* p0 = a[4 * t + r0];                                                                      \
      const float* p1 = a[4 * t + r0 + 1];                                                                  \
      const float* b = bt + t * C;                                                                          \
      for (int32_t c = 0; c < C; c += 4) {                                                                  \
        f4 x0 = wasm_v128_load(p0 + c);                                                                     \
        f4 x1 = wasm_v128_load(p1 + c);                                                                     \
        f4 w = wasm_v128_load(b + c);                                                                       \
        s00 = mac(s00, x0, w);                                                                              \
        s10 = mac(s10, x1, w);                                                                              \
        if (DCN > 1) { w = wasm_v128_load(b + K + c); s01 = mac(s01, x0, w); s11 = mac(s11, x1, w); }       \
        if (DCN > 2) { w = wasm_v128_load(b + 2 * K + c); s02 = mac(s02, x0, w); s12 = mac(s12, x1, w); }   \
        if (DCN > 3) { w = wasm_v128_load(b + 3 * K + c); s03 = mac(s03, x0, w); s13 = mac(s13, x1, w); }   \
      }                                                                                                     \
    }                                                                                                       \
    if (o0) {                                                                                               \
      o0[0] = hsum(s00);                                                                                    \
      if (DCN > 1) o0[1] = hsum(s01);                                                                       \
      if (DCN > 2) o0[2] = hsum(s02);                                                                       \
      if (DCN > 3) o0[3] = hsum(s03);                                                                       \
    }                                                                                                       \
    if (o1) {                                                                                               \
      o1[0] = hsum(s10);                                                                                    \
      if (DCN > 1) o1[1] = hsum(s11);                                                                       \
      if (DCN > 2) o1[2] = hsum(s12);                                                                       \
      if (DCN > 3) o1[3] = hsum(s13);                                                                       \
    }                                                                                                       \
  }
DOT_KERNEL(1)
DOT_KERNEL(2)
DOT_KERNEL(3)
DOT_KERNEL(4)

INLINE void dot_kernel(int32_t dcn, int32_t ntaps, int32_t C, const float* const* a, int32_t r0, const float* bt, int32_t K,
                       float* o0, float* o1) {
  switch (dcn) {
    case 4: dot_kernel_4(ntaps, C, a, r0, bt, K, o0, o1); break;
    case 3: dot_kernel_3(ntaps, C, a, r0, bt, K, o0, o1); break;
    case 2: dot_kernel_2(ntaps, C, a, r0, bt, K, o0, o1); break;
    default: dot_kernel_1(ntaps, C, a, r0, bt, K, o0, o1); break;
  }
}

/* Source pointer of output (n, i, j) for tap (u, v), or `zeros` when that pixel is outside src. */
INLINE const float* tap_source(const GatherConv* p, int32_t n, int32_t i, int32_t j, int32_t u, int32_t v) {
  const int32_t y = i * p->sy + u * p->ty + p->oy;
  const int32_t x = j * p->sx + v * p->tx + p->ox;
  if ((uint32_t)y >= (uint32_t)p->SH || (uint32_t)x >= (uint32_t)p->SW) return p->zeros;
  return p->src + ((n * p->SH + y) * p->SW + x) * p->C;
}

/* Output rows [tile·ROWS_PER_TILE, …) of one block. */
INLINE void gather_tile(int32_t tid, const GatherConv* p, int32_t tile) {
  const int32_t ntaps = p->KH * p->KW;
  const int32_t K = ntaps * p->C;
  const int32_t NR = p->NR;
  const int32_t panels = NR > 0 ? (p->DC + NR - 1) / NR : 0;
  const int32_t rows = p->N * p->OH * p->OW;
  /* Per-thread scratch (see gather_conv_scratch): row pointers [ntaps·4], output pointers [4],
   * destination rows [4], a 4×8 spill area for partial panels, and (packed) 4 gathered rows of K
   * floats. */
  float* scratch = p->scratch + tid * p->scratchStride;
  const float** aptr = (const float**)scratch;
  float** optr = (float**)(scratch + 4 * ntaps);
  float* spill = scratch + 4 * ntaps + 8;
  float* rowbuf = spill + 4 * 8;
  {
    const int32_t r0 = tile * ROWS_PER_TILE;
    if (r0 >= rows) return;
    const int32_t r1 = r0 + ROWS_PER_TILE < rows ? r0 + ROWS_PER_TILE : rows;
    /* (n, i, j) of row r0, then stepped row by row (no divisions per row). */
    int32_t j = r0 % p->OW;
    int32_t i = (r0 / p->OW) % p->OH;
    int32_t n = r0 / (p->OW * p->OH);
    for (int32_t g = r0; g < r1; g += MR) {
      /* Output rows g … g+3: (n, i, j) and destination pixel. */
      float** dstRow = optr + MR;
      for (int32_t r = 0; r < MR; r++) {
        const int32_t m = g + r;
        if (m >= r1) {
          dstRow[r] = 0;
          for (int32_t t = 0; t < ntaps; t++) aptr[4 * t + r] = p->zeros;
          if (p->packed) aptr[r] = p->zeros; /* (packed: `zeros` holds at least K zeros) */
          continue;
        }
        if (r > 0 || g > r0) {
          if (++j == p->OW) {
            j = 0;
            if (++i == p->OH) {
              i = 0;
              n++;
            }
          }
        }
        dstRow[r] = p->dst + ((n * p->DH + i * p->osy + p->py) * p->DW + j * p->osx + p->px) * p->DC;
        if (p->packed) {
          float* row = rowbuf + r * K;
          const int32_t run = p->KW * p->C;
          const int32_t x0 = j * p->sx + p->ox;
          const int32_t inside = p->tx == 1 && x0 >= 0 && x0 + p->KW <= p->SW;
          for (int32_t u = 0; u < p->KH; u++) {
            float* d = row + u * run;
            const int32_t y = i * p->sy + u * p->ty + p->oy;
            if (inside && (uint32_t)y < (uint32_t)p->SH) {
              /* The taps of this filter row are neighbouring pixels: one contiguous run. */
              const float* s = p->src + ((n * p->SH + y) * p->SW + x0) * p->C;
              int32_t c = 0;
              for (; c + 4 <= run; c += 4) wasm_v128_store(d + c, wasm_v128_load(s + c));
              for (; c < run; c++) d[c] = s[c];
              continue;
            }
            for (int32_t v = 0; v < p->KW; v++) {
              const float* s = tap_source(p, n, i, j, u, v);
              for (int32_t c = 0; c < p->C; c++) d[v * p->C + c] = s[c];
            }
          }
          aptr[r] = row;
        } else {
          for (int32_t u = 0; u < p->KH; u++) {
            for (int32_t v = 0; v < p->KW; v++) aptr[4 * (u * p->KW + v) + r] = tap_source(p, n, i, j, u, v);
          }
        }
      }
      if (p->dot) {
        dot_kernel(p->DC, ntaps, p->C, aptr, 0, p->B, K, dstRow[0], dstRow[1]);
        dot_kernel(p->DC, ntaps, p->C, aptr, 2, p->B, K, dstRow[2], dstRow[3]);
        continue;
      }
      const int32_t kt = p->packed ? 1 : ntaps;
      const int32_t kc = p->packed ? K : p->C;
      for (int32_t q = 0; q < panels; q++) {
        const float* b = p->B + q * K * NR;
        const int32_t n0 = q * NR;
        const int32_t full = p->DC - n0 >= NR;
        for (int32_t r = 0; r < MR; r++) optr[r] = dstRow[r] == 0 ? 0 : full ? dstRow[r] + n0 : spill + r * NR;
        if (NR == 8) gather_kernel_2(kt, kc, aptr, b, optr);
        else gather_kernel_1(kt, kc, aptr, b, optr);
        if (!full) {
          const int32_t nn = p->DC - n0;
          for (int32_t r = 0; r < MR; r++) {
            if (dstRow[r] == 0) continue;
            for (int32_t c = 0; c < nn; c++) dstRow[r][n0 + c] = spill[r * NR + c];
          }
        }
      }
    }
  }
}

/*
 * A job of `nphase` consecutive blocks (the sub-pixel phases of one dX, or one block): a tile is
 * the same rows of every block, one after the other, so the dy rows the phases share are read
 * from cache by all of them. ntiles covers the largest block.
 */
EXPORT void gather_conv(int32_t tid, GatherConv* shared) {
  const int32_t nphase = shared->nphase;
  const int32_t ntiles = shared->ntiles;
  for (;;) {
    const int32_t tile = claim(&shared->next);
    if (tile >= ntiles) break;
    for (int32_t ph = 0; ph < nphase; ph++) {
      /* A local copy: the scratch stores could alias the block as far as the compiler knows,
       * which would reload every field after every store. */
      const GatherConv local = shared[ph];
      gather_tile(tid, &local, tile);
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * filter_grad: the output positions are split into a fixed number of chunks (independent of the
 * thread count); a tile is one chunk, whose partial dW is summed over its positions block by block
 * (a block's x rows and dy rows stay in cache while every tap, ci and co tile sweeps them). Chunk 0
 * writes dW itself, chunk c > 0 writes partial[c − 1]; grad_reduce then adds the partials into dW
 * in chunk order.
 */
typedef struct {
  int32_t next;
  int32_t ntiles;     /* chunks */
  const float* x;     /* [N, H, W, Ci] */
  int32_t N, H, W, Ci;
  const float* dy;    /* [N, OH, OW, Co] */
  int32_t OH, OW, Co;
  int32_t sh, sw, dh, dw, pt, pl; /* forward conv: ih = oh·sh + kh·dh − pt */
  int32_t KH, KW;
  float* dW;          /* [KH, KW, Ci, Co]: chunk 0's sum */
  float* partial;     /* [chunks − 1][KH·KW·Ci·Co]: the other chunks' sums */
  int32_t chunkRows;  /* output rows (n, oh) per chunk */
  int32_t blockRows;  /* output rows per block */
  float* scratch;     /* per thread: scratchStride floats (the block's row list) */
  int32_t scratchStride;
} FilterGrad;

/* One output row of a block, for one tap: x at (n, ih, iw(owLo), 0) and dy at (n, oh, owLo, 0). */
typedef struct {
  const float* x;
  const float* d;
} GradRow;

/*
 * acc[MRK rows (ci …)][4·NV columns (co …)], row stride ld, += Σ_rows Σ_ow x[ci + r] · dy[co + :].
 */
#define GRAD_KERNEL(MRK, NV)                                                                                \
  INLINE void grad_kernel_##MRK##_##NV(const GradRow* rows, int32_t nrows, int32_t count, int32_t xstep, int32_t dstep, \
                                        int32_t ci, int32_t co, float* acc, int32_t ld) {                  \
    f4 z = wasm_f32x4_splat(0.0f);                                                                          \
    float* a0 = acc;                                                                                        \
    float* a1 = acc + ld;                                                                                   \
    float* a2 = acc + 2 * ld;                                                                               \
    float* a3 = acc + 3 * ld;                                                                               \
    f4 c00 = wasm_v128_load(a0), c01 = NV == 2 ? wasm_v128_load(a0 + 4) : z;                                \
    f4 c10 = MRK > 1 ? wasm_v128_load(a1) : z, c11 = MRK > 1 && NV == 2 ? wasm_v128_load(a1 + 4) : z;       \
    f4 c20 = MRK > 2 ? wasm_v128_load(a2) : z, c21 = MRK > 2 && NV == 2 ? wasm_v128_load(a2 + 4) : z;       \
    f4 c30 = MRK > 3 ? wasm_v128_load(a3) : z, c31 = MRK > 3 && NV == 2 ? wasm_v128_load(a3 + 4) : z;       \
    for (int32_t k = 0; k < nrows; k++) {                                                                   \
      const float* xp = rows[k].x + ci;                                                                     \
      const float* dp = rows[k].d + co;                                                                     \
      for (int32_t o = 0; o < count; o++, xp += xstep, dp += dstep) {                                        \
        f4 b0 = wasm_v128_load(dp);                                                                         \
        f4 b1 = NV == 2 ? wasm_v128_load(dp + 4) : z;                                                       \
        f4 v = wasm_v128_load32_splat(xp);                                                                  \
        c00 = mac(c00, v, b0);                                                                              \
        if (NV == 2) c01 = mac(c01, v, b1);                                                                 \
        if (MRK > 1) {                                                                                      \
          v = wasm_v128_load32_splat(xp + 1);                                                               \
          c10 = mac(c10, v, b0);                                                                            \
          if (NV == 2) c11 = mac(c11, v, b1);                                                               \
        }                                                                                                   \
        if (MRK > 2) {                                                                                      \
          v = wasm_v128_load32_splat(xp + 2);                                                               \
          c20 = mac(c20, v, b0);                                                                            \
          if (NV == 2) c21 = mac(c21, v, b1);                                                               \
        }                                                                                                   \
        if (MRK > 3) {                                                                                      \
          v = wasm_v128_load32_splat(xp + 3);                                                               \
          c30 = mac(c30, v, b0);                                                                            \
          if (NV == 2) c31 = mac(c31, v, b1);                                                               \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
    wasm_v128_store(a0, c00);                                                                               \
    if (NV == 2) wasm_v128_store(a0 + 4, c01);                                                              \
    if (MRK > 1) { wasm_v128_store(a1, c10); if (NV == 2) wasm_v128_store(a1 + 4, c11); }                   \
    if (MRK > 2) { wasm_v128_store(a2, c20); if (NV == 2) wasm_v128_store(a2 + 4, c21); }                   \
    if (MRK > 3) { wasm_v128_store(a3, c30); if (NV == 2) wasm_v128_store(a3 + 4, c31); }                   \
  }
GRAD_KERNEL(1, 1)
GRAD_KERNEL(2, 1)
GRAD_KERNEL(3, 1)
GRAD_KERNEL(4, 1)
GRAD_KERNEL(1, 2)
GRAD_KERNEL(2, 2)
GRAD_KERNEL(3, 2)
GRAD_KERNEL(4, 2)

INLINE void grad_kernel(int32_t mrk, int32_t nv, const GradRow* rows, int32_t nrows, int32_t count, int32_t xstep, int32_t dstep,
                        int32_t ci, int32_t co, float* acc, int32_t ld) {
  if (nv == 2) {
    switch (mrk) {
      case 4: grad_kernel_4_2(rows, nrows, count, xstep, dstep, ci, co, acc, ld); break;
      case 3: grad_kernel_3_2(rows, nrows, count, xstep, dstep, ci, co, acc, ld); break;
      case 2: grad_kernel_2_2(rows, nrows, count, xstep, dstep, ci, co, acc, ld); break;
      default: grad_kernel_1_2(rows, nrows, count, xstep, dstep, ci, co, acc, ld); break;
    }
  } else {
    switch (mrk) {
      case 4: grad_kernel_4_1(rows, nrows, count, xstep, dstep, ci, co, acc, ld); break;
      case 3: grad_kernel_3_1(rows, nrows, count, xstep, dstep, ci, co, acc, ld); break;
      case 2: grad_kernel_2_1(rows, nrows, count, xstep, dstep, ci, co, acc, ld); break;
      default: grad_kernel_1_1(rows, nrows, count, xstep, dstep, ci, co, acc, ld); break;
    }
  }
}

EXPORT void filter_grad(int32_t tid, FilterGrad* shared) {
  const FilterGrad local = *shared; /* (see gather_conv) */
  const FilterGrad* p = &local;
  const int32_t Ci = p->Ci, Co = p->Co;
  const int32_t coVec = Co & ~3; /* columns done with vectors; the rest (Co % 4) in scalar code */
  const int32_t tapSize = Ci * Co;
  const int32_t size = p->KH * p->KW * tapSize;
  const int32_t allRows = p->N * p->OH;
  const int32_t xstep = p->sw * Ci;
  GradRow* rows = (GradRow*)(p->scratch + tid * p->scratchStride);
  for (;;) {
    const int32_t chunk = claim(&shared->next);
    if (chunk >= p->ntiles) break;
    float* acc = chunk == 0 ? p->dW : p->partial + (chunk - 1) * size;
    for (int32_t i = 0; i < size; i++) acc[i] = 0.0f;
    const int32_t c0 = chunk * p->chunkRows;
    const int32_t c1 = c0 + p->chunkRows < allRows ? c0 + p->chunkRows : allRows;
    for (int32_t b0 = c0; b0 < c1; b0 += p->blockRows) {
      const int32_t b1 = b0 + p->blockRows < c1 ? b0 + p->blockRows : c1;
      for (int32_t kh = 0; kh < p->KH; kh++) {
        for (int32_t kw = 0; kw < p->KW; kw++) {
          /* Output columns whose input column iw = ow·sw + kw·dw − pl lies inside x. */
          const int32_t off = kw * p->dw - p->pl;
          const int32_t owLo = off >= 0 ? 0 : (-off + p->sw - 1) / p->sw;
          int32_t owHi = (p->W - 1 - off) >= 0 ? (p->W - 1 - off) / p->sw + 1 : 0;
          if (owHi > p->OW) owHi = p->OW;
          if (owHi <= owLo) continue;
          const int32_t count = owHi - owLo;
          int32_t nrows = 0;
          for (int32_t r = b0; r < b1; r++) {
            const int32_t n = r / p->OH;
            const int32_t oh = r % p->OH;
            const int32_t ih = oh * p->sh + kh * p->dh - p->pt;
            if ((uint32_t)ih >= (uint32_t)p->H) continue;
            rows[nrows].x = p->x + ((n * p->H + ih) * p->W + owLo * p->sw + off) * Ci;
            rows[nrows].d = p->dy + ((n * p->OH + oh) * p->OW + owLo) * Co;
            nrows++;
          }
          if (nrows == 0) continue;
          float* tap = acc + (kh * p->KW + kw) * tapSize;
          for (int32_t ci = 0; ci < Ci; ci += 4) {
            const int32_t mrk = Ci - ci < 4 ? Ci - ci : 4;
            for (int32_t co = 0; co < coVec; co += 8) {
              grad_kernel(mrk, coVec - co >= 8 ? 2 : 1, rows, nrows, count, xstep, Co, ci, co, tap + ci * Co + co, Co);
            }
            for (int32_t c = coVec; c < Co; c++) {
              for (int32_t r = 0; r < mrk; r++) {
                float s = tap[(ci + r) * Co + c];
                for (int32_t k = 0; k < nrows; k++) {
                  const float* xp = rows[k].x + ci + r;
                  const float* dp = rows[k].d + c;
                  for (int32_t o = 0; o < count; o++, xp += xstep, dp += Co) s += *xp * *dp;
                }
                tap[(ci + r) * Co + c] = s;
              }
            }
          }
        }
      }
    }
  }
}

/* dW += partial[0] + partial[1] + … (in that order), over slices of `slice` floats per tile. */
typedef struct {
  int32_t next;
  int32_t ntiles;
  float* dW;
  const float* partial;
  int32_t parts;
  int32_t size;
  int32_t slice;
} GradReduce;

EXPORT void grad_reduce(int32_t tid, GradReduce* shared) {
  (void)tid;
  const GradReduce local = *shared; /* (see gather_conv) */
  const GradReduce* p = &local;
  for (;;) {
    const int32_t tile = claim(&shared->next);
    if (tile >= p->ntiles) break;
    const int32_t i0 = tile * p->slice;
    const int32_t i1 = i0 + p->slice < p->size ? i0 + p->slice : p->size;
    for (int32_t k = 0; k < p->parts; k++) {
      const float* src = p->partial + k * p->size;
      int32_t i = i0;
      for (; i + 4 <= i1; i += 4) wasm_v128_store(p->dW + i, wasm_f32x4_add(wasm_v128_load(p->dW + i), wasm_v128_load(src + i)));
      for (; i < i1; i++) p->dW[i] += src[i];
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * sum_rows: dst[o, i] = Σ_r src[o, r, i] (the bias gradients: a conv's dy summed over batch and
 * positions), accumulated in float64. The reduced rows are split into `chunks` fixed slices (a tile
 * is one (o, slice)); each tile sums its slice into partial[o][slice][:], and sum_rows_finish adds
 * the slices in order. So the sums do not depend on the thread count.
 */
typedef struct {
  int32_t next;
  int32_t ntiles; /* outer · chunks */
  const float* src;
  int32_t outer, reduced, inner, chunks;
  double* partial; /* [outer][chunks][inner] */
} SumRows;

EXPORT void sum_rows(int32_t tid, SumRows* shared) {
  (void)tid;
  const SumRows local = *shared; /* (see gather_conv) */
  const SumRows* p = &local;
  const int32_t inner = p->inner;
  const int32_t vec = inner & ~3;
  const int32_t per = (p->reduced + p->chunks - 1) / p->chunks;
  for (;;) {
    const int32_t tile = claim(&shared->next);
    if (tile >= p->ntiles) break;
    const int32_t o = tile / p->chunks;
    const int32_t c = tile % p->chunks;
    const int32_t r0 = c * per;
    const int32_t r1 = r0 + per < p->reduced ? r0 + per : p->reduced;
    double* acc = p->partial + (o * p->chunks + c) * inner;
    for (int32_t i = 0; i < inner; i++) acc[i] = 0.0;
    const float* row = p->src + (o * p->reduced + r0) * inner;
    for (int32_t r = r0; r < r1; r++, row += inner) {
      int32_t i = 0;
      for (; i < vec; i += 4) {
        const f4 v = wasm_v128_load(row + i);
        const v128_t lo = wasm_f64x2_promote_low_f32x4(v);
        const v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
        wasm_v128_store(acc + i, wasm_f64x2_add(wasm_v128_load(acc + i), lo));
        wasm_v128_store(acc + i + 2, wasm_f64x2_add(wasm_v128_load(acc + i + 2), hi));
      }
      for (; i < inner; i++) acc[i] += (double)row[i];
    }
  }
}

EXPORT void sum_rows_finish(const double* partial, float* dst, int32_t outer, int32_t chunks, int32_t inner) {
  for (int32_t o = 0; o < outer; o++) {
    for (int32_t i = 0; i < inner; i++) {
      double s = 0.0;
      for (int32_t c = 0; c < chunks; c++) s += partial[(o * chunks + c) * inner + i];
      dst[o * inner + i] = (float)s;
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * softplus: log(1 + eˣ) with the cpu backend's cut-offs (x itself above −T, eˣ below T, where
 * T = log(2⁻²³) + 2). eˣ: x = n·ln 2 + r with |r| ≤ ln2 / 2, eʳ by its Taylor series to r⁷ (the next
 * term is below 6·10⁻⁹ relative), 2ⁿ from the exponent bits. log y for y = 1 + eˣ: y = m·2ᵏ with
 * m in [√½, √2), log m = 2·atanh(s), s = (m − 1)/(m + 1), by the series to s⁹ (|s| ≤ 0.172); then
 * log1p's correction ((1 + eˣ) − y) / y for the rounding of 1 + eˣ.
 *
 * The constants come from memory (softplus_constants fills the table): V8 rebuilds a v128 constant
 * from two 64-bit immediates at every use inside a loop, which made this 4× slower.
 */
enum {
  SP_LOG2E, SP_LN2_HI, SP_LN2_LO, SP_E7, SP_E6, SP_E5, SP_E4, SP_E3, SP_E2, SP_ONE, SP_BIAS, SP_SQRTHALF,
  SP_L9, SP_L7, SP_L5, SP_L3, SP_LO, SP_HI, SP_FLOOR, SP_COUNT
};

EXPORT void softplus_constants(f4* k) {
  k[SP_LOG2E] = wasm_f32x4_splat(1.44269504088896341f);
  /* ln 2 split in two so that n·ln2_hi is exact. */
  k[SP_LN2_HI] = wasm_f32x4_splat(0.693359375f);
  k[SP_LN2_LO] = wasm_f32x4_splat(-2.12194440e-4f);
  k[SP_E7] = wasm_f32x4_splat(1.0f / 5040.0f);
  k[SP_E6] = wasm_f32x4_splat(1.0f / 720.0f);
  k[SP_E5] = wasm_f32x4_splat(1.0f / 120.0f);
  k[SP_E4] = wasm_f32x4_splat(1.0f / 24.0f);
  k[SP_E3] = wasm_f32x4_splat(1.0f / 6.0f);
  k[SP_E2] = wasm_f32x4_splat(0.5f);
  k[SP_ONE] = wasm_f32x4_splat(1.0f);
  k[SP_BIAS] = wasm_i32x4_splat(127);
  k[SP_SQRTHALF] = wasm_i32x4_splat(0x3f3504f3); /* the bits of √½ */
  k[SP_L9] = wasm_f32x4_splat(1.0f / 9.0f);
  k[SP_L7] = wasm_f32x4_splat(1.0f / 7.0f);
  k[SP_L5] = wasm_f32x4_splat(1.0f / 5.0f);
  k[SP_L3] = wasm_f32x4_splat(1.0f / 3.0f);
  k[SP_LO] = wasm_f32x4_splat(-13.9423847f);   /* log(2⁻²³) + 2 */
  k[SP_HI] = wasm_f32x4_splat(13.9423847f);
  k[SP_FLOOR] = wasm_f32x4_splat(-87.336544f); /* log(2⁻¹²⁶): below, eˣ is 0 (not a denormal) */
}

INLINE f4 fma4(f4 a, f4 b, f4 c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }

INLINE f4 exp4(f4 x, const f4* k) {
  const f4 n = wasm_f32x4_nearest(wasm_f32x4_mul(x, k[SP_LOG2E]));
  f4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, k[SP_LN2_HI]));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, k[SP_LN2_LO]));
  f4 p = fma4(k[SP_E7], r, k[SP_E6]);
  p = fma4(p, r, k[SP_E5]);
  p = fma4(p, r, k[SP_E4]);
  p = fma4(p, r, k[SP_E3]);
  p = fma4(p, r, k[SP_E2]);
  p = fma4(p, r, k[SP_ONE]);
  p = fma4(p, r, k[SP_ONE]);
  /* 2ⁿ, n in [−126, 127] (the caller keeps x in range). */
  const v128_t bits = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), k[SP_BIAS]), 23);
  return wasm_f32x4_mul(p, bits);
}

/* log y for finite y ≥ 1. */
INLINE f4 log4(f4 y, const f4* k) {
  /* k = the exponent of y / √½ rounded down, so that m = y / 2ᵏ lies in [√½, √2) (integer
   * arithmetic on the bits). */
  const v128_t e = wasm_i32x4_shr(wasm_i32x4_sub(y, k[SP_SQRTHALF]), 23);
  const f4 m = wasm_i32x4_sub(y, wasm_i32x4_shl(e, 23));
  const f4 s = wasm_f32x4_div(wasm_f32x4_sub(m, k[SP_ONE]), wasm_f32x4_add(m, k[SP_ONE]));
  const f4 s2 = wasm_f32x4_mul(s, s);
  f4 q = fma4(k[SP_L9], s2, k[SP_L7]);
  q = fma4(q, s2, k[SP_L5]);
  q = fma4(q, s2, k[SP_L3]);
  q = fma4(q, s2, k[SP_ONE]);
  const f4 logm = wasm_f32x4_mul(wasm_f32x4_add(s, s), q);
  const f4 ef = wasm_f32x4_convert_i32x4(e);
  return wasm_f32x4_add(fma4(ef, k[SP_LN2_HI], logm), wasm_f32x4_mul(ef, k[SP_LN2_LO]));
}

INLINE f4 softplus4(f4 v, const f4* k) {
  const f4 e = exp4(wasm_f32x4_max(wasm_f32x4_min(v, k[SP_HI]), k[SP_FLOOR]), k);
  const f4 y = wasm_f32x4_add(k[SP_ONE], e);
  const f4 mid = wasm_f32x4_add(log4(y, k), wasm_f32x4_div(wasm_f32x4_sub(e, wasm_f32x4_sub(y, k[SP_ONE])), y));
  f4 res = wasm_v128_bitselect(v, mid, wasm_f32x4_gt(v, k[SP_HI]));
  res = wasm_v128_bitselect(wasm_v128_and(e, wasm_f32x4_ge(v, k[SP_FLOOR])), res, wasm_f32x4_lt(v, k[SP_LO]));
  return wasm_v128_bitselect(v, res, wasm_f32x4_ne(v, v)); /* NaN stays NaN */
}

/* ---------------------------------------------------------------------------------------------
 * elementwise: one job type for the big elementwise kernels, over tiles of `chunk` floats.
 *   EW_SOFTPLUS  out = softplus(a)                  (table: softplus_constants)
 *   EW_ADD_BIAS  out[i] = a[i] + b[i mod C]         (table: b repeated to lcm(C, 4) floats; chunk
 *                                                    a multiple of that)
 *   EW_MUL       out = a · b
 *   EW_RELU      out = max(a, 0)                     (NaN stays NaN, as the cpu backend's Math.max)
 *   EW_STEP      out = a > 0 ? 1 : alpha             (NaN stays NaN)
 */
enum { EW_SOFTPLUS, EW_ADD_BIAS, EW_MUL, EW_RELU, EW_STEP };

typedef struct {
  int32_t next;
  int32_t ntiles;
  int32_t op;
  int32_t n;
  int32_t chunk;
  const float* a;
  const float* b;
  float* out;
  const f4* table;
  int32_t period; /* EW_ADD_BIAS: floats in the table's pattern */
  float alpha;
} Elementwise;

EXPORT void bias_pattern(const float* b, int32_t C, float* pattern) {
  int32_t P = C;
  while (P % 4 != 0) P += C;
  for (int32_t j = 0; j < P; j++) pattern[j] = b[j % C];
}

EXPORT void elementwise(int32_t tid, Elementwise* shared) {
  (void)tid;
  const Elementwise local = *shared; /* (see gather_conv) */
  const Elementwise* p = &local;
  const f4 zero = wasm_f32x4_splat(0.0f);
  const f4 one = wasm_f32x4_splat(1.0f);
  const f4 alpha = wasm_f32x4_splat(p->alpha);
  for (;;) {
    const int32_t tile = claim(&shared->next);
    if (tile >= p->ntiles) break;
    const int32_t i0 = tile * p->chunk;
    const int32_t i1 = i0 + p->chunk < p->n ? i0 + p->chunk : p->n;
    const float* a = p->a;
    float* out = p->out;
    int32_t i = i0;
    switch (p->op) {
      case EW_SOFTPLUS:
        for (; i + 8 <= i1; i += 8) {
          /* Two independent vectors per step: each is a long dependency chain. */
          const f4 u = softplus4(wasm_v128_load(a + i), p->table);
          const f4 v = softplus4(wasm_v128_load(a + i + 4), p->table);
          wasm_v128_store(out + i, u);
          wasm_v128_store(out + i + 4, v);
        }
        for (; i + 4 <= i1; i += 4) wasm_v128_store(out + i, softplus4(wasm_v128_load(a + i), p->table));
        for (; i < i1; i++) out[i] = wasm_f32x4_extract_lane(softplus4(wasm_f32x4_splat(a[i]), p->table), 0);
        break;
      case EW_ADD_BIAS: {
        const float* pattern = (const float*)p->table;
        const int32_t P = p->period;
        for (; i + P <= i1; i += P) {
          for (int32_t j = 0; j < P; j += 4) wasm_v128_store(out + i + j, wasm_f32x4_add(wasm_v128_load(a + i + j), wasm_v128_load(pattern + j)));
        }
        for (int32_t j = 0; i < i1; i++, j++) out[i] = a[i] + pattern[j];
        break;
      }
      case EW_MUL:
        for (; i + 4 <= i1; i += 4) wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(p->b + i)));
        for (; i < i1; i++) out[i] = a[i] * p->b[i];
        break;
      case EW_RELU:
        for (; i + 4 <= i1; i += 4) wasm_v128_store(out + i, wasm_f32x4_max(wasm_v128_load(a + i), zero));
        for (; i < i1; i++) out[i] = wasm_f32x4_extract_lane(wasm_f32x4_max(wasm_f32x4_splat(a[i]), zero), 0);
        break;
      case EW_STEP:
        for (; i + 4 <= i1; i += 4) {
          const f4 v = wasm_v128_load(a + i);
          const f4 s = wasm_v128_bitselect(one, alpha, wasm_f32x4_gt(v, zero));
          wasm_v128_store(out + i, wasm_v128_bitselect(v, s, wasm_f32x4_ne(v, v)));
        }
        for (; i < i1; i++) out[i] = a[i] != a[i] ? a[i] : a[i] > 0.0f ? 1.0f : p->alpha;
        break;
      default:
        break;
    }
  }
}
