/**
 * The machine's scheduling delay, seen by a process that does nothing else:
 * it asks to be woken every millisecond and records how late each wake-up
 * is. On SIGTERM it prints `{"n","p50","p99","p999","max"}` (ms) and exits.
 * The control-plane bench runs it beside each row's counted changes: a node's
 * worker waits for its turn on the cores the same way, so it shows how much
 * of a change's tail is waiting for a core rather than doing work (the
 * waiting grows with everything the machine runs, the mesh included).
 */
const late: number[] = [];
let timer: NodeJS.Timeout | undefined;
const tick = () => {
  const t = performance.now();
  timer = setTimeout(() => { late.push(performance.now() - t - 1); tick(); }, 1);
};
tick();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  clearTimeout(timer);
  late.sort((a, b) => a - b);
  const at = (q: number) => Number((late[Math.min(late.length - 1, Math.ceil(q * late.length) - 1)] ?? NaN).toFixed(1));
  process.stdout.write(`${JSON.stringify({ n: late.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) })}\n`, () => process.exit(0));
});
