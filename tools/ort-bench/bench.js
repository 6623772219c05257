// Times an ONNX model in ONNX Runtime (CPU execution provider, T intra-op
// threads, default 1; batch 1) on a deterministic pseudo-random input, the
// same way `quant-eval bench` does: W untimed runs, then N timed ones;
// prints one JSON line with the median and p90 in milliseconds and every
// timed run (times_ms).
//
//   node bench.js MODEL.onnx [--repeat N] [--warmup W] [--batch B]
//                            [--threads T|all]
'use strict';
const ort = require('onnxruntime-node');

function percentile(sorted, p) {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const path = args[0];
  const repeat = opt('--repeat', 21), warmup = opt('--warmup', 3);
  const batch = opt('--batch', 1);
  const t = args.indexOf('--threads');
  const threads = t >= 0 && args[t + 1] === 'all'
    ? require('os').availableParallelism() : opt('--threads', 1);
  if (!(threads >= 1)) throw new Error('--threads takes a count or all');
  const session = await ort.InferenceSession.create(path, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const meta = session.inputMetadata
    ? session.inputMetadata[0] : null;
  const inputName = session.inputNames[0];
  let dims = meta && meta.shape ? meta.shape : null;
  if (!dims) throw new Error('cannot read the input shape of ' + path);
  dims = dims.map((d, i) => (typeof d === 'number' && d > 0 ? d : (i === 0 ? batch : 1)));
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let state = 12345 >>> 0;
  for (let i = 0; i < n; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = (state >>> 8) / (1 << 24) * 2 - 1;
  }
  const feeds = { [inputName]: new ort.Tensor('float32', data, dims) };
  for (let i = 0; i < warmup; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < repeat; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / dims[0]);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(JSON.stringify({
    runtime: 'onnxruntime', precision: 'f32',
    version: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version,
    model: path, batch: dims[0], threads, runs: repeat, warmup,
    latency_ms_median: percentile(sorted, 0.5),
    latency_ms_p90: percentile(sorted, 0.9),
    times_ms: times,
  }));
}

main().catch((e) => { console.error('ort-bench: ' + e.message); process.exit(1); });
