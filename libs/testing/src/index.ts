export { freePort, freePorts, freePortRun, waitForPort } from './free-port.ts';
export { startNatsServer, findNatsServer, type NatsServer, type StartNatsOptions } from './nats-server.ts';
export { configServiceStarted, spawnMeshgate, spawnProcess, MESHGATE_BIN, type Proc } from './processes.ts';
export { request, eventually, type SimpleResponse } from './http-client.ts';
export { startOtlpReceiver, decodeTraces, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';
export { serviceManifest, ingressManifest, manifestFile } from './manifests.ts';
export { makePki, type KeyPair, type TestPki } from './pki.ts';
