#!/usr/bin/env node
// The `meshgate` command. Kept as plain JavaScript so an old Node gets a clear
// message instead of a syntax error; everything else is TypeScript run by
// Node's type stripping.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`meshgate: Node.js >= 22.12 is required (this is ${process.version}); run it through npm (npm start, npx meshgate), which uses the Node 24 pinned in the repo.`);
  process.exit(2);
}
// Node's compile cache (os.tmpdir()/node-compile-cache, or NODE_COMPILE_CACHE;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off) keeps each module's type-stripped
// source and V8 code on disk. A process or worker thread that finds its modules
// there neither strips nor compiles them again, and never loads the TypeScript
// stripper, a WebAssembly module of about 17 MB per thread: a proxy node with
// one worker starts sooner and keeps about 30 MB less memory (172 MB -> 140 MB
// resident, docs/benchmarks/control-plane.md). Worker threads inherit the
// directory through NODE_COMPILE_CACHE.
const { default: module } = await import('node:module');
const cache = module.enableCompileCache?.();
if (cache?.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory;
const { main } = await import('../src/main.ts');
// Written now rather than at exit: the next process (or this one's worker threads) finds it.
module.flushCompileCache?.();
await main(process.argv.slice(2));
