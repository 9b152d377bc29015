// @meshgate/gateway-api: Gateway API objects -> the one route model, with upstream-shaped status.
export { CONTROLLER_NAME, GROUP, KINDS } from './types.ts';
export { buildMeshConfigWithGatewayApi, gatewayApiFrontEnd } from './front-end.ts';
export { intersect as intersectHostnames } from './hostnames.ts';
