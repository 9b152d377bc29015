export { freePort, waitForPort } from './free-port.ts';
export { startNatsServer, findNatsServer, type NatsServer, type StartNatsOptions } from './nats-server.ts';
