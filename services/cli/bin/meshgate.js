#!/usr/bin/env node
// The `meshgate` command. Kept as plain JavaScript so an old Node gets a clear
// message instead of a syntax error; everything else is TypeScript run by
// Node's type stripping.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`meshgate: Node.js >= 22.12 is required (this is ${process.version}); run it through npm (npm start, npx meshgate), which uses the Node 24 pinned in the repo.`);
  process.exit(2);
}
const { main } = await import('../src/main.ts');
await main(process.argv.slice(2));
