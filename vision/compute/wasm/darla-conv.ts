/**
 * The GEMM-shaped kernels of a conv net's training step on the project's own wasm kernels
 * (native.ts; C in native/kernels.c), NHWC, any stride, 'same' / 'valid' / explicit padding:
 *   convForward        one implicit GEMM over the filter taps (XNNPACK's Conv2D rebuilt an
 *                      operator and repacked its weights every step, since the weights change)
 *   convBackpropInput  dX, also the forward pass of a transposed conv: s² sub-pixel phases, each a
 *                      stride-1 implicit GEMM of dy with a flipped sub-filter, written straight to
 *                      its rows of dX (no interleave copy, no multiply by an inserted zero)
 *   convBackpropFilter dW: for each filter tap, Σ over every output position of x ⊗ dy, summed in
 *                      registers (no transposes, no operator built around dy)
 *   matMul             a 1×1 convolution
 * They take the weights at run time and read and write tfjs's tensors in place; the pointer-level
 * functions work on any NativeKernels memory, the *Darla functions below wrap them as tfjs kernels.
 * Also here: which kernel set the wasm backend runs (DARLA_WASM_KERNELS).
 */
import * as tf from '@tensorflow/tfjs-core';
import { alloc, free, type WasmBackend } from './heap.ts';
import { transposeWasm } from './transpose.ts';
import { nativeKernels, type NativeKernels } from './native.ts';

/**
 * Which kernels the wasm backend runs: 'darla' (the project's: these, elementwise.ts, sum.ts) or
 * 'xnnpack' (round one's compositions of tfjs's XNNPACK operators, kept for comparison:
 * DARLA_WASM_KERNELS=xnnpack).
 */
export type WasmConvKernels = 'darla' | 'xnnpack';
let mode: WasmConvKernels = 'darla';
export function setWasmConvKernels(m: WasmConvKernels): void {
  mode = m;
}
export function wasmConvKernels(): WasmConvKernels {
  return mode;
}

/** Output rows per claimed tile of gather_conv (kernels.c ROWS_PER_TILE). */
const ROWS_PER_TILE = 32;
/** Below this many channels a row's taps are gathered into one contiguous row first (kernels.c `packed`). */
const PACK_BELOW_CHANNELS = 16;

function ptr(backend: WasmBackend, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset as number;
}

function kernels(backend: WasmBackend): NativeKernels {
  return nativeKernels(backend);
}

/** One implicit-GEMM job (kernels.c GatherConv), minus the pointers the caller owns. */
interface Gather {
  src: number;
  n: number;
  sh: number;
  sw: number;
  c: number;
  dst: number;
  dh: number;
  dw: number;
  dc: number;
  oh: number;
  ow: number;
  sy: number;
  sx: number;
  ty: number;
  tx: number;
  oy: number;
  ox: number;
  kh: number;
  kw: number;
  osy: number;
  osx: number;
  py: number;
  px: number;
  /** The taps' filter from packB: panels [ceil(dc/nr)][kh·kw·c][nr], or [dc][kh·kw·c] when nr = 0. */
  b: number;
  nr: number;
}

/**
 * How to lay out B for `dc` output channels from `c` input channels: 0 = rows per output channel
 * for the dot-product kernel (few outputs, e.g. an RGB image; needs c a multiple of 4), else the
 * width of a column panel.
 */
function panelWidth(dc: number, c: number): number {
  if (dc <= 4 && c % 4 === 0 && c >= PACK_BELOW_CHANNELS) return 0;
  return dc <= 4 ? 4 : 8;
}

/** Floats of a packed B for `taps` taps of `c` channels and `dc` outputs. */
function packedSize(taps: number, c: number, dc: number, nr: number): number {
  return nr === 0 ? Math.max(1, taps * c * dc) : Math.max(1, Math.ceil(dc / nr) * taps * c * nr);
}

/** int32 slots of one GatherConv block (kernels.c: 33 int32 / pointer fields). */
const GATHER_BLOCK_SLOTS = 33;
/** Blocks per job (the parameter block holds PARAM_SLOTS = 528 slots). */
const MAX_GATHER_BLOCKS = 16;

function runGather(k: NativeKernels, g: Gather): void {
  runGathers(k, [g]);
}

/**
 * One job over several implicit GEMMs of the same tile structure (the sub-pixel phases of a dX):
 * a tile runs the same output rows of each, in order, so their shared inputs stay in cache.
 */
function runGathers(k: NativeKernels, gs: Gather[]): void {
  for (let start = 0; start < gs.length; start += MAX_GATHER_BLOCKS) {
    const part = gs.slice(start, start + MAX_GATHER_BLOCKS).filter((g) => g.n * g.oh * g.ow > 0);
    if (part.length === 0) continue;
    const Ks = part.map((g) => g.kh * g.kw * g.c);
    const packedOf = (g: Gather) => (g.c < PACK_BELOW_CHANNELS ? 1 : 0);
    const zeros = k.zeros(Math.max(...part.map((g, i) => Math.max(g.c, Ks[i]))));
    const [scratch, stride] = k.scratchFor(Math.max(...part.map((g, i) => 4 * g.kh * g.kw + 8 + 32 + (packedOf(g) ? 4 * Ks[i] : 0))));
    const tiles = Math.max(...part.map((g) => Math.ceil((g.n * g.oh * g.ow) / ROWS_PER_TILE)));
    const work = part.reduce((acc, g, i) => acc + g.n * g.oh * g.ow * Ks[i] * g.dc, 0);
    const fields: number[] = [];
    part.forEach((g, i) => {
      // Block i > 0 starts with its own (unused) tile counter and count.
      if (i > 0) fields.push(0, 0);
      // prettier-ignore
      fields.push(
        g.src, g.n, g.sh, g.sw, g.c,
        g.dst, g.dh, g.dw, g.dc,
        g.oh, g.ow, g.sy, g.sx, g.ty, g.tx, g.oy, g.ox,
        g.kh, g.kw, g.osy, g.osx, g.py, g.px,
        g.b, g.nr, zeros, scratch, stride, packedOf(g), g.nr === 0 ? 1 : 0, part.length,
      );
    });
    if (fields.length !== part.length * GATHER_BLOCK_SLOTS - 2) throw new Error('darla wasm kernels: GatherConv layout mismatch');
    k.run('gather_conv', tiles, fields, work);
  }
}

/** A 2-D convolution's sizes (NHWC; filter [kh, kw, ci, co]); pads are top / left. */
export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  oh: number;
  ow: number;
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
}

export function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    co: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
}

/** y [n, oh, ow, co] = conv2d(x, W): Σ_{kh, kw, ci} x[n, oh·sh + kh·dh − pt, ow·sw + kw·dw − pl, ci] · W[kh, kw, ci, :]. */
export function convForward(k: NativeKernels, g: ConvGeometry, x: number, filter: number, y: number): void {
  const nr = panelWidth(g.co, g.ci);
  const b = k.alloc(packedSize(g.kh * g.kw, g.ci, g.co, nr));
  const taps: number[] = [];
  for (let u = 0; u < g.kh; u++) for (let v = 0; v < g.kw; v++) taps.push((u * g.kw + v) * g.ci * g.co);
  k.packB(filter, taps, g.ci, g.co, g.co, 1, nr, b);
  runGather(k, {
    src: x, n: g.n, sh: g.h, sw: g.w, c: g.ci,
    dst: y, dh: g.oh, dw: g.ow, dc: g.co,
    oh: g.oh, ow: g.ow, sy: g.sh, sx: g.sw, ty: g.dh, tx: g.dw, oy: -g.pt, ox: -g.pl,
    kh: g.kh, kw: g.kw, osy: 1, osx: 1, py: 0, px: 0, b, nr,
  });
  k.free(b);
}

/** One axis of a sub-pixel phase of dX: its filter taps and which dy rows its outputs read. */
export interface SubPixelAxis {
  /** Taps of this phase: filter index first + s·(taps − 1 − a) for sub-filter tap a. */
  first: number;
  taps: number;
  /** Outputs in this phase (positions phase, phase + s, … below the input size). */
  count: number;
  /** Output m of the phase reads dy[m + a + offset] for sub-filter tap a (zero outside dy). */
  offset: number;
}

export function subPixelAxis(phase: number, stride: number, k: number, padBefore: number, inSize: number): SubPixelAxis {
  const first = (((phase + padBefore) % stride) + stride) % stride;
  const taps = first >= k ? 0 : Math.ceil((k - first) / stride);
  const count = Math.max(0, Math.ceil((inSize - phase) / stride));
  // dX[phase + s·m] takes dy[oh]·W[kh] for kh = first + s·j, oh = q + m − j, q = (phase + pad − first) / s.
  const q = (phase + padBefore - first) / stride;
  return { first, taps, count, offset: q - taps + 1 };
}

/**
 * dX [n, h, w, ci] = conv2dBackpropInput(dy [n, oh, ow, co], W) for the forward conv `g` (dilation
 * 1); also the forward pass of conv2dTranspose.
 */
export function convBackpropInput(k: NativeKernels, g: ConvGeometry, dy: number, filter: number, dx: number): void {
  const { ci, co, kw, sh, sw } = g;
  const nr = panelWidth(ci, co);
  const phases: Gather[] = [];
  for (let py = 0; py < sh; py++) {
    const ay = subPixelAxis(py, sh, g.kh, g.pt, g.h);
    for (let px = 0; px < sw; px++) {
      const ax = subPixelAxis(px, sw, kw, g.pl, g.w);
      if (ay.count === 0 || ax.count === 0) continue;
      // Sub-filter tap (a, b) is W[first_y + s·(Ty−1−a), first_x + s·(Tx−1−b)], used as [co][ci].
      // With no taps the phase writes zeros.
      const taps: number[] = [];
      for (let a = 0; a < ay.taps; a++) {
        for (let b2 = 0; b2 < ax.taps; b2++) {
          const fy = ay.first + sh * (ay.taps - 1 - a);
          const fx = ax.first + sw * (ax.taps - 1 - b2);
          taps.push((fy * kw + fx) * ci * co);
        }
      }
      const b = k.alloc(packedSize(taps.length, co, ci, nr));
      if (taps.length > 0) k.packB(filter, taps, co, ci, 1, co, nr, b);
      phases.push({
        src: dy, n: g.n, sh: g.oh, sw: g.ow, c: co,
        dst: dx, dh: g.h, dw: g.w, dc: ci,
        oh: ay.count, ow: ax.count, sy: 1, sx: 1, ty: 1, tx: 1, oy: ay.offset, ox: ax.offset,
        kh: ay.taps, kw: ax.taps, osy: sh, osx: sw, py, px, b, nr,
      });
    }
  }
  runGathers(k, phases);
  for (const ph of phases) k.free(ph.b);
}

/**
 * Chunks of output positions that filter_grad sums separately (a tile each): a fixed number, so
 * the sums and their order do not depend on the thread count.
 */
const GRAD_CHUNKS = 4;

/** dW [kh, kw, ci, co] = conv2dBackpropFilter(x, dy) for the forward conv `g`. */
export function convBackpropFilter(k: NativeKernels, g: ConvGeometry, x: number, dy: number, dw: number): void {
  const rows = g.n * g.oh;
  const size = g.kh * g.kw * g.ci * g.co;
  if (rows === 0) {
    k.f32(dw, size).fill(0);
    return;
  }
  const chunks = Math.min(GRAD_CHUNKS, rows);
  const chunkRows = Math.ceil(rows / chunks);
  const used = Math.ceil(rows / chunkRows);
  // Blocks of ~4K dy floats (16 KB): a block's dy rows stay in L1 while every tap and ci / co tile
  // of the block sweeps them.
  const blockRows = Math.max(1, Math.floor(4096 / Math.max(1, g.ow * g.co)));
  const partial = used > 1 ? k.alloc((used - 1) * size) : 0;
  const [scratch, stride] = k.scratchFor(2 * blockRows);
  // prettier-ignore
  const fields = [
    x, g.n, g.h, g.w, g.ci,
    dy, g.oh, g.ow, g.co,
    g.sh, g.sw, g.dh, g.dw, g.pt, g.pl,
    g.kh, g.kw, dw, partial, chunkRows, blockRows, scratch, stride,
  ];
  k.run('filter_grad', used, fields, rows * g.ow * size);
  if (used > 1) {
    const slice = 4096;
    k.run('grad_reduce', Math.ceil(size / slice), [dw, partial, used - 1, size, slice], size * (used - 1));
    k.free(partial);
  }
}

/**
 * out [m, n] = a [m, k] · B, where B is b [k, n] (transposeB false) or b [n, k] transposed: a 1×1
 * convolution of a as an [1, m, 1, k] image, so the same implicit GEMM runs it (tiles of rows).
 */
export function matMul(k: NativeKernels, a: number, b: number, m: number, kk: number, n: number, transposeB: boolean, out: number): void {
  const nr = panelWidth(n, kk);
  const bp = k.alloc(packedSize(1, kk, n, nr));
  k.packB(b, [0], kk, n, transposeB ? 1 : n, transposeB ? kk : 1, nr, bp);
  runGather(k, {
    src: a, n: 1, sh: m, sw: 1, c: kk,
    dst: out, dh: m, dw: 1, dc: n,
    oh: m, ow: 1, sy: 1, sx: 1, ty: 1, tx: 1, oy: 0, ox: 0,
    kh: 1, kw: 1, osy: 1, osx: 1, py: 0, px: 0, b: bp, nr,
  });
  k.free(bp);
}

// --- the tfjs kernels ----------------------------------------------------------------------------

export interface Conv2DAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function conv2DDarla(backend: WasmBackend, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: Conv2DAttrs): tf.TensorInfo {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const out = alloc(backend, info.outShape);
  convForward(kernels(backend), geometry(info), ptr(backend, x), ptr(backend, filter), ptr(backend, out));
  return out;
}

export function conv2DBackpropInputDarla(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const out = alloc(backend, info.inShape);
  convBackpropInput(kernels(backend), geometry(info), ptr(backend, dy), ptr(backend, filter), ptr(backend, out));
  return out;
}

/** a·b for rank-2 float32 a, b (either transposed); a transposed a is transposed first (small). */
export function matMulDarla(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
  const [ar, ac] = a.shape;
  const [br, bc] = b.shape;
  const m = transposeA ? ac : ar;
  const kk = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  const out = alloc(backend, [m, n]);
  const at = transposeA ? transposeWasm(backend, a, [1, 0]) : a;
  matMul(kernels(backend), ptr(backend, at), ptr(backend, b), m, kk, n, transposeB, ptr(backend, out));
  if (at !== a) free(backend, at);
  return out;
}

export function conv2DBackpropFilterDarla(backend: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const out = alloc(backend, info.filterShape);
  convBackpropFilter(kernels(backend), geometry(info), ptr(backend, x), ptr(backend, dy), ptr(backend, out));
  return out;
}
