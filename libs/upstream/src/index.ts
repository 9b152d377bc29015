export { EndpointSet, LoadBalancers, type AllDownPolicy, type Endpoint, type LoadBalancer, type PickOptions, type UpstreamEndpoint } from './endpoint-set.ts';
export { Liveness, defaultEjectionPolicy, type EjectionPolicy } from './liveness.ts';
export { HashRing, fnv1a32 } from './consistent-hash.ts';
export { UpstreamPools, defaultPoolOptions, type PoolOptions } from './upstream-pools.ts';
export { H1Pool, H1Connection, type ResponseHandler, type UpstreamRequest, type UpstreamError, type H1PoolOptions } from './h1-pool.ts';
export { HPE_PAUSED, HTTPParser, METHODS, consumableHandle, setReading, type NativeParser, type ParseError, type OnHeadersComplete } from './native-http-parser.ts';
export {
  UpstreamErrorCode, UpstreamError as CodedUpstreamError, ConnectError, ConnectTimeoutError, HeadersTimeoutError, SocketError, PoolClosedError,
  RequestContentLengthMismatchError, InvalidResponseError, InternalError, ClientGoneError, BodyTooLargeError, BodyTimeoutError,
  isConnectError, isRetryable, errorStatus, type ErrorStatus,
} from './errors.ts';
