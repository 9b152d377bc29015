import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatManifestError } from './manifest-error.ts';
import { build, WEB } from './test-helpers.ts';

// One path rule on `web`, so every case can vary just one field.
const v1 = (fields: { host?: string; path?: string; pathType?: string; backend?: string; extraSpec?: string; meta?: string; name?: string; apiVersion?: string }) => `apiVersion: ${fields.apiVersion ?? 'networking.k8s.io/v1'}
kind: Ingress
metadata:
  name: ${fields.name ?? 'ing'}
${fields.meta ?? ''}spec:
${fields.extraSpec ?? ''}  rules:
  - ${fields.host !== undefined ? `host: ${fields.host}\n    ` : ''}http:
      paths:
      - ${fields.path !== undefined ? `path: ${fields.path}\n        ` : ''}${fields.pathType !== undefined ? `pathType: ${fields.pathType}\n        ` : ''}backend:
${fields.backend ?? '          service: {name: web, port: {number: 80}}'}
`;
const v1beta1 = (backend: string, path = '/x') => `apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old}
spec:
  rules:
  - http:
      paths:
      - path: ${path}
        backend:
${backend}
`;

interface Case {
  name: string;
  yaml: string;
  kind?: string;
  field?: string;
  message: string;
  /** 1-based line in the case's file where the error must point. */
  line?: number;
}

const cases: Case[] = [
  // Ingress paths
  { name: 'path without leading slash', yaml: v1({ path: 'users', pathType: 'Prefix' }), kind: 'Ingress', field: 'spec.rules[0].http.paths[0].path', message: 'must start with "/"', line: 9 },
  { name: 'path with //', yaml: v1({ path: '/a//b', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'must not contain "//"' },
  { name: 'path with /./', yaml: v1({ path: '/a/./b', pathType: 'Exact' }), field: 'spec.rules[0].http.paths[0].path', message: 'must not contain "/./"' },
  { name: 'path with /../', yaml: v1({ path: '/a/../b', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'must not contain "/../"' },
  { name: 'path ending /..', yaml: v1({ path: '/a/..', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'must not end with "/." or "/.."' },
  { name: 'path ending /.', yaml: v1({ path: '/a/.', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'must not end with' },
  { name: 'path with %2F', yaml: v1({ path: '/a%2Fb', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'encoded "/"' },
  { name: 'path with query', yaml: v1({ path: '"/a?b=1"', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'must not contain a query' },
  { name: 'path with space', yaml: v1({ path: '"/a b"', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'spaces' },
  { name: 'Prefix path with /* glob', yaml: v1({ path: '/users/*', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'use pathType Prefix with path "/users"' },
  { name: 'IS path with * in the middle', yaml: v1({ path: '/a/*/b', pathType: 'ImplementationSpecific' }), field: 'spec.rules[0].http.paths[0].path', message: 'only allowed as a trailing "/*"' },
  { name: 'IS path with regex', yaml: v1({ path: '/a.*', pathType: 'ImplementationSpecific' }), field: 'spec.rules[0].http.paths[0].path', message: 'only allowed as a trailing "/*"' },
  { name: 'missing pathType in v1', yaml: v1({ path: '/a' }), field: 'spec.rules[0].http.paths[0].pathType', message: 'required in networking.k8s.io/v1' },
  { name: 'bad pathType', yaml: v1({ path: '/a', pathType: 'Regex' }), field: 'spec.rules[0].http.paths[0].pathType', message: 'unsupported pathType "Regex"' },
  { name: 'lowercase pathType', yaml: v1({ path: '/a', pathType: 'prefix' }), field: 'spec.rules[0].http.paths[0].pathType', message: 'use Exact, Prefix or ImplementationSpecific' },
  { name: 'missing path for Prefix', yaml: v1({ pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'required for pathType Prefix' },
  { name: 'path not a string', yaml: v1({ path: '[1]', pathType: 'Prefix' }), field: 'spec.rules[0].http.paths[0].path', message: 'must be a string' },
  // Hosts
  { name: 'host with port', yaml: v1({ host: 'foo.com:80', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'must not include a port' },
  { name: 'uppercase host', yaml: v1({ host: 'Foo.com', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'must be lowercase: write "foo.com"' },
  { name: 'IP host', yaml: v1({ host: '10.0.0.1', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'not an IP address' },
  { name: 'wildcard in the middle', yaml: v1({ host: 'foo.*.com', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'misplaced wildcard' },
  { name: 'partial-label wildcard', yaml: v1({ host: '"*foo.com"', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'misplaced wildcard' },
  { name: 'two wildcards', yaml: v1({ host: '"*.*.com"', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'misplaced wildcard' },
  { name: 'bare wildcard', yaml: v1({ host: '"*"', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'misplaced wildcard' },
  { name: 'host with underscore', yaml: v1({ host: 'foo_bar.com', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'DNS-1123 subdomain' },
  { name: 'host with scheme', yaml: v1({ host: 'http://foo.com', path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'must not include a port or scheme' },
  { name: 'host label too long', yaml: v1({ host: `${'a'.repeat(64)}.com`, path: '/', pathType: 'Prefix' }), field: 'spec.rules[0].host', message: 'DNS-1123 subdomain' },
  // Backends
  { name: 'v1 backend with serviceName', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          serviceName: web\n          servicePort: 80' }), field: 'spec.rules[0].http.paths[0].backend.serviceName', message: 'in networking.k8s.io/v1 write service.name' },
  { name: 'v1 backend without service', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          {}' }), field: 'spec.rules[0].http.paths[0].backend.service', message: 'required: service.name and service.port' },
  { name: 'v1 service without name', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {port: {number: 80}}' }), field: 'spec.rules[0].http.paths[0].backend.service.name', message: 'required' },
  { name: 'v1 service name invalid', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {name: Web_1, port: {number: 80}}' }), field: 'spec.rules[0].http.paths[0].backend.service.name', message: 'DNS-1035 label' },
  { name: 'v1 service without port', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {name: web}' }), field: 'spec.rules[0].http.paths[0].backend.service.port', message: 'required: port.number or port.name' },
  { name: 'v1 port number and name', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {name: web, port: {number: 80, name: http}}' }), field: 'spec.rules[0].http.paths[0].backend.service.port', message: 'not both' },
  { name: 'v1 port 0', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {name: web, port: {number: 0}}' }), field: 'spec.rules[0].http.paths[0].backend.service.port.number', message: 'out of range' },
  { name: 'v1 port 70000', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {name: web, port: {number: 70000}}' }), field: 'spec.rules[0].http.paths[0].backend.service.port.number', message: 'out of range: use 1-65535' },
  { name: 'v1 port as quoted number', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {name: web, port: {number: "80"}}' }), field: 'spec.rules[0].http.paths[0].backend.service.port.number', message: 'must be a port number' },
  { name: 'v1 port name invalid', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {name: web, port: {name: HTTP}}' }), field: 'spec.rules[0].http.paths[0].backend.service.port.name', message: 'lowercase' },
  { name: 'v1 port name too long', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          service: {name: web, port: {name: abcdefghijklmnop}}' }), field: 'spec.rules[0].http.paths[0].backend.service.port.name', message: 'at most 15' },
  { name: 'resource backend', yaml: v1({ path: '/', pathType: 'Prefix', backend: '          resource: {kind: StorageBucket, name: b}' }), field: 'spec.rules[0].http.paths[0].backend.resource', message: 'not supported' },
  { name: 'v1beta1 with v1 service', yaml: v1beta1('          service: {name: web, port: {number: 80}}'), field: 'spec.rules[0].http.paths[0].backend.service', message: 'in v1beta1 write serviceName' },
  { name: 'v1beta1 missing serviceName', yaml: v1beta1('          servicePort: 80'), field: 'spec.rules[0].http.paths[0].backend.serviceName', message: 'required' },
  { name: 'v1beta1 missing servicePort', yaml: v1beta1('          serviceName: web'), field: 'spec.rules[0].http.paths[0].backend.servicePort', message: 'required' },
  { name: 'v1beta1 quoted numeric servicePort', yaml: v1beta1('          serviceName: web\n          servicePort: "80"'), field: 'spec.rules[0].http.paths[0].backend.servicePort', message: 'write it without quotes' },
  { name: 'v1beta1 servicePort out of range', yaml: v1beta1('          serviceName: web\n          servicePort: 0'), field: 'spec.rules[0].http.paths[0].backend.servicePort', message: 'out of range' },
  { name: 'v1beta1 bad pathType', yaml: v1beta1('          serviceName: web\n          servicePort: 80\n        pathType: Glob'), field: 'spec.rules[0].http.paths[0].pathType', message: 'unsupported pathType' },
  { name: 'path without backend', yaml: v1beta1('          {}').replace(/        backend:\n          \{\}\n/, ''), field: 'spec.rules[0].http.paths[0].backend', message: 'required' },
  // Ingress structure
  { name: 'no spec', yaml: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\n', field: 'spec', message: 'needs a spec' },
  { name: 'empty spec', yaml: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec: {}\n', field: 'spec', message: 'either spec.defaultBackend or spec.rules' },
  { name: 'rules not a list', yaml: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec:\n  rules: {host: a.com}\n', field: 'spec.rules', message: 'must be a list' },
  { name: 'empty paths', yaml: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec:\n  rules:\n  - http: {paths: []}\n', field: 'spec.rules[0].http.paths', message: 'at least one path' },
  { name: 'v1 spec.backend', yaml: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec:\n  backend: {service: {name: web, port: {number: 80}}}\n', field: 'spec.backend', message: 'write spec.defaultBackend' },
  { name: 'v1beta1 spec.defaultBackend', yaml: 'apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: x}\nspec:\n  defaultBackend: {serviceName: web, servicePort: 80}\n', field: 'spec.defaultBackend', message: 'write spec.backend' },
  { name: 'tls host invalid', yaml: v1({ path: '/', pathType: 'Prefix', extraSpec: '  tls:\n  - hosts: ["Foo.com"]\n    secretName: s\n' }), field: 'spec.tls[0].hosts[0]', message: 'lowercase' },
  { name: 'tls not a list', yaml: v1({ path: '/', pathType: 'Prefix', extraSpec: '  tls: {secretName: s}\n' }), field: 'spec.tls', message: 'must be a list' },
  { name: 'class field and annotation disagree', yaml: v1({ path: '/', pathType: 'Prefix', meta: '  annotations: {kubernetes.io/ingress.class: nginx}\n', extraSpec: '  ingressClassName: meshgate\n' }), field: 'metadata.annotations.kubernetes.io/ingress.class', message: 'remove the annotation' },
  // Metadata and headers
  { name: 'missing kind', yaml: 'apiVersion: v1\nmetadata: {name: x}\n', field: 'kind', message: 'missing "kind"' },
  { name: 'unknown kind', yaml: 'apiVersion: example.com/v1\nkind: Gateway\nmetadata: {name: x}\n', kind: 'Gateway', field: 'kind', message: 'unknown kind "Gateway"' },
  { name: 'unknown Ingress apiVersion', yaml: v1({ apiVersion: 'networking.k8s.io/v2', path: '/', pathType: 'Prefix' }), kind: 'Ingress', field: 'apiVersion', message: 'unsupported apiVersion "networking.k8s.io/v2"' },
  { name: 'Service with wrong apiVersion', yaml: 'apiVersion: apps/v1\nkind: Service\nmetadata: {name: x}\n', field: 'apiVersion', message: 'use one of v1' },
  { name: 'missing apiVersion', yaml: 'kind: Service\nmetadata: {name: x}\n', field: 'apiVersion', message: 'missing "apiVersion"' },
  { name: 'missing metadata', yaml: 'apiVersion: v1\nkind: Service\n', field: 'metadata', message: 'missing "metadata"' },
  { name: 'missing name', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {namespace: x}\n', field: 'metadata.name', message: 'missing "metadata.name"' },
  { name: 'bad Ingress name', yaml: v1({ name: 'Hello_Ingress', path: '/', pathType: 'Prefix' }), field: 'metadata.name', message: 'DNS-1123 subdomain' },
  { name: 'bad namespace', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: My.NS}\nspec: {ports: [{port: 80}]}\n', field: 'metadata.namespace', message: 'DNS-1123 label' },
  { name: 'non-string annotation', yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  annotations: {a: true}\nspec: {ports: [{port: 80}]}\n', field: 'metadata.annotations.a', message: 'quote it' },
  { name: 'bad creationTimestamp', yaml: v1({ path: '/', pathType: 'Prefix', meta: '  creationTimestamp: yesterday\n' }), field: 'metadata.creationTimestamp', message: 'RFC 3339' },
  { name: 'document is a list', yaml: '- a\n- b\n', message: 'not a Kubernetes object' },
  { name: 'YAML syntax error', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x\n', message: 'invalid YAML/JSON' },
  { name: 'duplicate keys', yaml: 'apiVersion: v1\nkind: Service\nkind: Service\nmetadata: {name: x}\n', message: 'invalid YAML/JSON' },
  { name: 'tab indentation', yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n\tname: x\n', message: 'invalid YAML/JSON' },
  { name: 'List with non-list items', yaml: '{"apiVersion": "v1", "kind": "List", "items": 3}', field: 'items', message: 'must have an "items" list' },
  // Services
  { name: 'Service name with dot', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: a.b}\nspec: {ports: [{port: 80}]}\n', field: 'metadata.name', message: 'DNS-1035 label' },
  { name: 'Service name starting with digit', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}\n', field: 'metadata.name', message: 'starting with a letter' },
  { name: 'Service without ports', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {}\n', field: 'spec.ports', message: 'at least one port' },
  { name: 'Service port missing number', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{name: http}]}\n', field: 'spec.ports[0].port', message: 'required' },
  { name: 'Service port out of range', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 65536}]}\n', field: 'spec.ports[0].port', message: 'out of range' },
  { name: 'Service two ports unnamed', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}, {port: 81, name: b}]}\n', field: 'spec.ports[0].name', message: 'more than one port' },
  { name: 'Service duplicate port names', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80, name: a}, {port: 81, name: a}]}\n', field: 'spec.ports[1].name', message: 'duplicate port name' },
  { name: 'Service duplicate port numbers', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80, name: a}, {port: 80, name: b}]}\n', field: 'spec.ports[1].port', message: 'duplicate port 80/TCP' },
  { name: 'Service bad targetPort name', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80, targetPort: web_port}]}\n', field: 'spec.ports[0].targetPort', message: 'may contain only lowercase' },
  { name: 'Service targetPort 0', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80, targetPort: 99999}]}\n', field: 'spec.ports[0].targetPort', message: 'out of range' },
  { name: 'Service bad type', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {type: Nodeport, ports: [{port: 80}]}\n', field: 'spec.type', message: 'unsupported Service type "Nodeport"' },
  { name: 'nodePort on ClusterIP', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80, nodePort: 30080}]}\n', field: 'spec.ports[0].nodePort', message: 'only be set when spec.type is NodePort' },
  { name: 'Service bad protocol', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80, protocol: HTTP}]}\n', field: 'spec.ports[0].protocol', message: 'unsupported protocol "HTTP"' },
  { name: 'health path annotation', yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  annotations: {meshgate.dev/health-path: healthz}\nspec: {ports: [{port: 80}]}\n', field: 'metadata.annotations.meshgate.dev/health-path', message: 'must start with "/"' },
  { name: 'ExternalName without name', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {type: ExternalName}\n', field: 'spec.externalName', message: 'required for type ExternalName' },
  // Endpoints / EndpointSlice / Node
  { name: 'Endpoints address not an IP', yaml: 'apiVersion: v1\nkind: Endpoints\nmetadata: {name: x}\nsubsets: [{addresses: [{ip: backend.local}], ports: [{port: 80}]}]\n', field: 'subsets[0].addresses[0].ip', message: 'must be an IP address' },
  { name: 'Endpoints address 300.1.1.1', yaml: 'apiVersion: v1\nkind: Endpoints\nmetadata: {name: x}\nsubsets: [{addresses: [{ip: 300.1.1.1}], ports: [{port: 80}]}]\n', field: 'subsets[0].addresses[0].ip', message: 'must be an IP address' },
  { name: 'Endpoints missing ip', yaml: 'apiVersion: v1\nkind: Endpoints\nmetadata: {name: x}\nsubsets: [{addresses: [{hostname: a}], ports: [{port: 80}]}]\n', field: 'subsets[0].addresses[0].ip', message: 'required' },
  { name: 'Endpoints port missing', yaml: 'apiVersion: v1\nkind: Endpoints\nmetadata: {name: x}\nsubsets: [{addresses: [{ip: 10.0.0.1}], ports: [{name: http}]}]\n', field: 'subsets[0].ports[0].port', message: 'required' },
  { name: 'EndpointSlice without service label', yaml: 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x-abc}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.1]}]\n', field: 'metadata.labels', message: 'kubernetes.io/service-name' },
  { name: 'EndpointSlice bad addressType', yaml: 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x-abc, labels: {kubernetes.io/service-name: x}}\naddressType: IP\nendpoints: []\n', field: 'addressType', message: 'unsupported addressType "IP"' },
  { name: 'EndpointSlice IPv4 mismatch', yaml: 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x-abc, labels: {kubernetes.io/service-name: x}}\naddressType: IPv4\nendpoints: [{addresses: ["::1"]}]\n', field: 'endpoints[0].addresses[0]', message: 'is not an IPv4 address' },
  { name: 'EndpointSlice empty addresses', yaml: 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x-abc, labels: {kubernetes.io/service-name: x}}\naddressType: IPv4\nendpoints: [{addresses: []}]\n', field: 'endpoints[0].addresses', message: 'at least one address' },
  { name: 'EndpointSlice ready not boolean', yaml: 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x-abc, labels: {kubernetes.io/service-name: x}}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.1], conditions: {ready: "yes"}}]\n', field: 'endpoints[0].conditions.ready', message: 'true or false' },
  { name: 'Node without InternalIP', yaml: 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: Hostname, address: n1}]}\n', kind: 'Node', field: 'status.addresses', message: 'has no InternalIP' },
  { name: 'Node bad InternalIP', yaml: 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: node1}]}\n', field: 'status.addresses[0].address', message: 'must be an IP address' },
  // Secrets
  { name: 'TLS Secret bad base64', yaml: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: "!!!", tls.key: "???"}\n', field: 'data.tls.crt', message: 'not valid base64' },
  { name: 'TLS Secret missing key', yaml: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\nstringData: {tls.crt: "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"}\n', field: 'data', message: 'needs "tls.key"' },
  { name: 'TLS Secret cert not PEM', yaml: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\nstringData: {tls.crt: hello, tls.key: "-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----\\n"}\n', field: 'stringData.tls.crt', message: 'does not look like a PEM certificate' },
  { name: 'TLS Secret key not PEM', yaml: `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64')}, tls.key: ${Buffer.from('not a key').toString('base64')}}\n`, field: 'data.tls.key', message: 'does not look like a PEM private key' },
  // IngressClass
  { name: 'IngressClass without controller', yaml: 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: c}\nspec: {}\n', kind: 'IngressClass', field: 'spec.controller', message: 'required' },
];

test(`invalid manifests: ${cases.length} cases, each rejected with file, line, object and field`, () => {
  assert.ok(cases.length >= 50);
  for (const c of cases) {
    const cfg = build({ 'web.yaml': WEB, 'case.yaml': c.yaml });
    const errs = cfg.errors.filter((e) => e.file === 'case.yaml');
    const hit = errs.find((e) => e.message.includes(c.message) && (c.field === undefined || e.field === c.field));
    assert.ok(hit, `${c.name}: expected field ${c.field} message ~ ${c.message}; got ${JSON.stringify(errs.map(formatManifestError))}`);
    assert.ok(hit.line !== undefined && hit.line >= 1, `${c.name}: has a line`);
    if (c.line !== undefined) assert.equal(hit.line, c.line, `${c.name}: line`);
    if (c.kind !== undefined) assert.equal(hit.kind, c.kind, `${c.name}: kind`);
    // Everything else keeps producing config.
    assert.equal(cfg.errors.filter((e) => e.file === 'web.yaml').length, 0, `${c.name}: web.yaml untouched`);
    for (const st of cfg.ingresses) if (st.file === 'case.yaml' && c.yaml.includes('kind: Ingress') && st.state !== 'ignored') assert.equal(st.state, 'rejected', `${c.name}: Ingress rejected`);
  }
});

test('a rejected Ingress does not stop others; its status names the first error', () => {
  const bad = v1({ name: 'bad', path: 'nope', pathType: 'Prefix' });
  const good = v1({ name: 'good', path: '/ok', pathType: 'Prefix' });
  const cfg = build({ 'web.yaml': WEB, 'bad.yaml': bad, 'good.yaml': good });
  assert.deepEqual(cfg.rules.map((r) => `${r.ingress} ${r.path}`), ['default/good /ok']);
  const st = cfg.ingresses.find((s) => s.name === 'bad');
  assert.equal(st?.state, 'rejected');
  assert.match(st?.reason ?? '', /bad\.yaml:9: Ingress default\/bad: spec\.rules\[0\]\.http\.paths\[0\]\.path: path "nope" must start with "\/"/);
});

test('formatManifestError', () => {
  const cases: [Parameters<typeof formatManifestError>[0], string][] = [
    [{ file: 'manifests/ing.yaml', line: 12, kind: 'Ingress', namespace: 'default', name: 'hello-ingress', field: 'spec.rules[0].http.paths[1].path', message: 'must start with "/"' }, 'manifests/ing.yaml:12: Ingress default/hello-ingress: spec.rules[0].http.paths[1].path: must start with "/"'],
    [{ file: 'a.yaml', message: 'cannot parse' }, 'a.yaml: cannot parse'],
    [{ file: 'n.yaml', line: 3, kind: 'Node', name: 'n1', message: 'x' }, 'n.yaml:3: Node n1: x'],
    [{ file: 'k.yaml', line: 1, kind: 'Gateway', field: 'kind', message: 'unknown' }, 'k.yaml:1: Gateway: kind: unknown'],
  ];
  for (const [e, want] of cases) assert.equal(formatManifestError(e), want);
});
