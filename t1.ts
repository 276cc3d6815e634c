import { initTf, tf } from "lib/tf.ts";
await initTf("wasm");
function run(shapeA:number[], shapeB:number[], act: any, biasOn=true) {
  const n = (s:number[])=>s.reduce((a,b)=>a*b,1);
  const a = Array.from({length:n(shapeA)},(_, i)=>Math.sin(i*0.37));
  const b = Array.from({length:n(shapeB)},(_, i)=>Math.cos(i*0.11));
  const N = shapeB[shapeB.length-1];
  const bias = Array.from({length:N},(_, i)=>i*0.1-0.5);
  return tf.tidy(()=>Array.from(tf.fused.matMul({a:tf.tensor(a,shapeA), b:tf.tensor(b,shapeB), bias: biasOn?tf.tensor1d(bias):undefined, activation: act}).dataSync()));
}
for (const [sa, sb] of [[[9,13],[13,11]], [[2,9,13],[2,13,11]], [[18,13],[13,11]]]) for (const act of ["linear","relu"]) for (const bo of [true,false]) {
  const w = run(sa,sb,act,bo); await tf.setBackend("cpu"); const c = run(sa,sb,act,bo); await tf.setBackend("wasm");
  let m=0; for (let i=0;i<w.length;i++) m=Math.max(m,Math.abs(w[i]-c[i]));
  console.log(JSON.stringify(sa), act, bo, m);
}
