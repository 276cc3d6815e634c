// One pthread of the multi-threaded tfjs wasm backend under Deno's node:worker_threads.
// tfjs hands Emscripten its pthread script and its main script as blob: URLs, which
// Deno's worker_threads cannot start and Emscripten's worker cannot read synchronously.
// This file is started instead (see wasm_threads.ts): it fetches both scripts, gives them
// the bundle-level names they expect, and delivers messages only once they are ready.
"use strict";
const workerThreads = require("worker_threads");
const realPort = workerThreads.parentPort;

if (workerThreads.workerData?.probe) {
  realPort.postMessage("ready"); // wasm_threads.ts checks that a worker can start at all
} else {
  startPthread();
}

function startPthread() {
  // The pthread script listens on this port; messages wait here until it can take them.
  const listeners = [];
  const port = {
    on(event, listener) {
      if (event === "message") listeners.push(listener);
      else realPort.on(event, listener);
    },
    postMessage(message, transfer) {
      realPort.postMessage(message, transfer);
    },
  };
  const queue = [];
  let busy = true;
  realPort.on("message", (data) => {
    queue.push(data);
    if (!busy) drain();
  });

  // Names the Emscripten factory uses from the tfjs node bundle's scope.
  Object.assign(globalThis, {
    require$$0: require("fs"),
    require$$1: require("path"),
    require$$3: require("perf_hooks"),
    require$$4: require("os"),
    commonjsGlobal: globalThis,
    __values: (o) => o[Symbol.iterator](),
    __read: (o, n) => (n === undefined ? [...o] : [...o].slice(0, n)),
    __spreadArray: (to, from) => to.concat(Array.from(from)),
  });
  // Deno's worker global has a read-only `location`; the pthread script assigns its own.
  Object.defineProperty(globalThis, "location", { value: {}, writable: true, configurable: true });

  const mainScripts = new Map(); // blob: URL -> fetched source
  const threadRequire = (name) =>
    name === "worker_threads" ? { ...workerThreads, parentPort: port } : require(name);

  async function drain() {
    busy = true;
    while (queue.length > 0) {
      const data = queue.shift();
      if (data && data.cmd === "load" && typeof data.urlOrBlob === "string") {
        const url = data.urlOrBlob;
        if (!mainScripts.has(url)) mainScripts.set(url, await (await fetch(url)).text());
      }
      for (const listener of listeners) listener(data);
    }
    busy = false;
  }

  (async () => {
    const source = await (await fetch(workerThreads.workerData.scriptUrl)).text();
    new Function("require", "__filename", source)(threadRequire, __filename);
    const readScript = globalThis.importScripts;
    globalThis.importScripts = (url) =>
      mainScripts.has(url) ? (0, eval)(mainScripts.get(url)) : readScript(url);
    await drain();
  })();
}
