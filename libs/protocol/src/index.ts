export { subjects, nodeSubject, allNodesSubject, isFromOwnSubject, fromOwnSubjectOnly, nodeIdProblem, toNodeId, type Subjects } from './subjects.ts';
export {
  MessageType,
  type SnapshotMessage, type SnapshotGetMessage, type LivenessMessage, type EndpointLiveness,
  type HeartbeatMessage, type MeshMessage,
} from './messages.ts';
export {
  HealthMessageType,
  type HealthStatusRequest, type HealthStatusReply, type EndpointStatus, type NodeStatus, type ProbeStats,
  type NodeLivenessMessage, type LivenessViewPart,
} from './health-messages.ts';
export { msgpackCodec, createMsgpackCodec, type Codec } from './codec.ts';
export { encodeSnapshot, unpackSnapshotBody, decodeSnapshotContent, SnapshotFormatError, SNAPSHOT_FORMAT } from './snapshot.ts';
export { snapshotContentOf, type SnapshotContent } from './content.ts';
export { type EndpointsDeltaMessage, type RoutesDeltaMessage, type SnapshotRefMessage, type AckMessage, type LimitDemandMessage } from './messages.ts';
export { routeChanges, applyRouteChanges, encodeRoutesDelta, decodeRouteChanges, ruleKey, type RouteChanges, type RuleRef } from './route-delta.ts';
export {
  signMessage, verifyMessage, signingPayload, keyIdOf, loadSigningKey, loadTrustKey, generateSigningKeyPair,
  SnapshotSignatureError, type Signable,
} from './snapshot-signing.ts';
export { endpointChanges, applyEndpointChanges, encodeEndpointsDelta, decodeEndpointChanges, type EndpointChange } from './endpoint-delta.ts';
export * from './admin-messages.ts';
export { adminPayload, signAdminRequest, AdminVerifier, AdminAuthError, type AdminVerifierOptions } from './admin-signing.ts';
export { livenessPayload, signLiveness, LivenessVerifier, LivenessSignatureError, type LivenessVerifierOptions } from './liveness-signing.ts';
export {
  ChunkedValue, snapshotValue, readStoredSnapshot, writeStoredSnapshot, putChunks, getChunks, CHUNK_BYTES,
  type KvLike, type ChunkedHead, type SnapshotHead,
} from './snapshot-store.ts';
export { SnapshotClient, type SnapshotClientOptions, type SnapshotRequester } from './snapshot-client.ts';
export { MetricsMessageType, type NodeMetricsMessage, type RouteTraffic } from './metrics-messages.ts';
