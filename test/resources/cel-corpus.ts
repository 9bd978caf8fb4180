/**
 * Realistic `x-kubernetes-validations` rules from public CRDs (Gateway API, Cluster API,
 * Karpenter, cert-manager, and the Kubernetes documentation's library examples), each with
 * values that pass and values that fail. Used to check the CEL environment and to compare
 * CEL libraries.
 */

export interface CorpusCase {
  /** Where the rule comes from. */
  readonly source: string;
  readonly rule: string;
  /** [self, expected result] pairs; `oldSelf` given for transition rules. */
  readonly cases: readonly { self: unknown; oldSelf?: unknown; expect: boolean }[];
}

const listeners = (ls: { name: string; port: number; protocol: string; hostname?: string }[]) => ls;

export const CEL_CORPUS: readonly CorpusCase[] = [
  {
    source: 'gateway-api HTTPRouteFilter',
    rule: "!(has(self.requestHeaderModifier) && self.type != 'RequestHeaderModifier')",
    cases: [
      { self: { type: 'RequestHeaderModifier', requestHeaderModifier: {} }, expect: true },
      { self: { type: 'URLRewrite', requestHeaderModifier: {} }, expect: false },
    ],
  },
  {
    source: 'gateway-api HTTPRouteFilter',
    rule: "!(!has(self.urlRewrite) && self.type == 'URLRewrite')",
    cases: [
      { self: { type: 'URLRewrite', urlRewrite: {} }, expect: true },
      { self: { type: 'URLRewrite' }, expect: false },
    ],
  },
  {
    source: 'gateway-api HTTPRoute filters',
    rule: "self.filter(f, f.type == 'RequestRedirect').size() <= 1",
    cases: [
      { self: [{ type: 'RequestRedirect' }, { type: 'URLRewrite' }], expect: true },
      { self: [{ type: 'RequestRedirect' }, { type: 'RequestRedirect' }], expect: false },
    ],
  },
  {
    source: 'gateway-api HTTPRoute filters',
    rule: "!(self.exists(f, f.type == 'RequestRedirect') && self.exists(f, f.type == 'URLRewrite'))",
    cases: [
      { self: [{ type: 'RequestRedirect' }], expect: true },
      { self: [{ type: 'RequestRedirect' }, { type: 'URLRewrite' }], expect: false },
    ],
  },
  {
    source: 'gateway-api HTTPPathMatch',
    rule: "(self.type in ['Exact','PathPrefix']) ? self.value.startsWith('/') : true",
    cases: [
      { self: { type: 'PathPrefix', value: '/api' }, expect: true },
      { self: { type: 'Exact', value: 'api' }, expect: false },
      { self: { type: 'RegularExpression', value: 'api.*' }, expect: true },
    ],
  },
  {
    source: 'gateway-api HTTPPathMatch',
    rule: '(self.type in [\'Exact\',\'PathPrefix\']) ? self.value.matches(r"""^(?:[-A-Za-z0-9/._~!$&\'()*+,;=:@]|[%][0-9a-fA-F]{2})+$""") : true',
    cases: [
      { self: { type: 'Exact', value: '/a%20b' }, expect: true },
      { self: { type: 'Exact', value: '/a b' }, expect: false },
    ],
  },
  {
    source: 'gateway-api HTTPPathMatch',
    rule: "(self.type in ['Exact','PathPrefix']) ? !self.value.contains('/../') : true",
    cases: [
      { self: { type: 'PathPrefix', value: '/a/b' }, expect: true },
      { self: { type: 'PathPrefix', value: '/a/../b' }, expect: false },
    ],
  },
  {
    source: 'gateway-api GRPCMethodMatch',
    rule: '(!has(self.type) || self.type == \'Exact\') && has(self.service) ? self.service.matches(r"""^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$"""): true',
    cases: [
      { self: { type: 'Exact', service: 'foo.Bar' }, expect: true },
      { self: { type: 'Exact', service: 'foo..bar' }, expect: false },
    ],
  },
  {
    source: 'gateway-api Gateway listeners',
    rule: 'self.all(l1, self.exists_one(l2, l1.name == l2.name))',
    cases: [
      {
        self: listeners([
          { name: 'a', port: 80, protocol: 'HTTP' },
          { name: 'b', port: 443, protocol: 'HTTPS' },
        ]),
        expect: true,
      },
      {
        self: listeners([
          { name: 'a', port: 80, protocol: 'HTTP' },
          { name: 'a', port: 443, protocol: 'HTTPS' },
        ]),
        expect: false,
      },
    ],
  },
  {
    source: 'gateway-api Gateway listeners',
    rule: 'self.all(l1, self.exists_one(l2, l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))',
    cases: [
      {
        self: listeners([
          { name: 'a', port: 80, protocol: 'HTTP', hostname: 'a.com' },
          { name: 'b', port: 80, protocol: 'HTTP', hostname: 'b.com' },
        ]),
        expect: true,
      },
      {
        self: listeners([
          { name: 'a', port: 80, protocol: 'HTTP' },
          { name: 'b', port: 80, protocol: 'HTTP' },
        ]),
        expect: false,
      },
    ],
  },
  {
    source: 'gateway-api Gateway listeners',
    rule: "self.all(l, l.protocol in ['TCP', 'UDP']  ? (!has(l.hostname) || l.hostname == '') : true)",
    cases: [
      { self: listeners([{ name: 'a', port: 53, protocol: 'UDP' }]), expect: true },
      { self: listeners([{ name: 'a', port: 53, protocol: 'TCP', hostname: 'x.com' }]), expect: false },
    ],
  },
  {
    source: 'gateway-api hostnames',
    rule: "self.all(h, !h.contains('*') ? h.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$') : true)",
    cases: [
      { self: ['example.com', '*.example.com'], expect: true },
      { self: ['Example.com'], expect: false },
    ],
  },
  {
    source: 'gateway-api hostnames',
    rule: 'self.all(h, !isIP(h))',
    cases: [
      { self: ['example.com'], expect: true },
      { self: ['10.0.0.1'], expect: false },
    ],
  },
  {
    source: 'gateway-api RequestMirror fraction',
    rule: 'self.numerator <= self.denominator',
    cases: [
      { self: { numerator: 1, denominator: 2 }, expect: true },
      { self: { numerator: 3, denominator: 2 }, expect: false },
    ],
  },
  {
    source: 'gateway-api session persistence',
    rule: "!has(self.cookie) || !has(self.cookie.lifetimeType) || self.cookie.lifetimeType != 'Permanent' || has(self.absoluteTimeout)",
    cases: [
      { self: { cookie: { lifetimeType: 'Permanent' }, absoluteTimeout: '1h' }, expect: true },
      { self: { cookie: { lifetimeType: 'Permanent' } }, expect: false },
    ],
  },
  {
    source: 'gateway-api HTTPRoute timeouts',
    rule: "!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && duration(self.backendRequest) > duration(self.request))",
    cases: [
      { self: { request: '10s', backendRequest: '5s' }, expect: true },
      { self: { request: '10s', backendRequest: '1m' }, expect: false },
    ],
  },
  {
    source: 'gateway-api labels',
    rule: 'self.all(key, key.split("/")[0].size() < 253)',
    cases: [
      { self: { 'example.com/a': 'x' }, expect: true },
      { self: { [`${'a'.repeat(260)}/x`]: 'y' }, expect: false },
    ],
  },
  {
    source: 'gateway-api ListenerSet name',
    rule: 'size(self) == 0 || !format.dns1123Label().validate(self).hasValue()',
    cases: [
      { self: 'my-listener', expect: true },
      { self: 'My_Listener', expect: false },
    ],
  },
  {
    source: 'gateway-api CORS',
    rule: "!('*' in self && self.size() > 1)",
    cases: [
      { self: ['*'], expect: true },
      { self: ['*', 'GET'], expect: false },
    ],
  },
  {
    source: 'cluster-api unique entries',
    rule: 'self.all(x, self.exists_one(y, x.name == y.name))',
    cases: [
      { self: [{ name: 'a' }, { name: 'b' }], expect: true },
      { self: [{ name: 'a' }, { name: 'a' }], expect: false },
    ],
  },
  {
    source: 'cluster-api condition type',
    rule: "!(self in ['Ready','Available','HealthCheckSucceeded','OwnerRemediated','ExternallyRemediated'])",
    cases: [
      { self: 'MyCondition', expect: true },
      { self: 'Ready', expect: false },
    ],
  },
  {
    source: 'cluster-api partition type',
    rule: "self.matches('^(Linux|LinuxSwap|LinuxRAID|LVM|Fat32|NTFS|LinuxExtended|[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})$')",
    cases: [
      { self: 'LVM', expect: true },
      { self: 'ext4', expect: false },
    ],
  },
  {
    source: 'karpenter requirements',
    rule: "self.all(x, (x.operator == 'Gt' || x.operator == 'Lt') ? (x.values.size() == 1 && int(x.values[0]) >= 0) : true)",
    cases: [
      { self: [{ operator: 'Gt', values: ['2'] }], expect: true },
      { self: [{ operator: 'Gt', values: ['1', '2'] }], expect: false },
    ],
  },
  {
    source: 'karpenter requirement keys',
    rule: 'self in ["karpenter.sh/capacity-type", "karpenter.sh/nodepool"] || !self.find("^([^/]+)").endsWith("karpenter.sh")',
    cases: [
      { self: 'example.com/x', expect: true },
      { self: 'karpenter.sh/other', expect: false },
    ],
  },
  {
    source: 'karpenter nodeClassRef (transition)',
    rule: 'self.kind == oldSelf.kind',
    cases: [
      { self: { kind: 'EC2NodeClass' }, oldSelf: { kind: 'EC2NodeClass' }, expect: true },
      { self: { kind: 'Other' }, oldSelf: { kind: 'EC2NodeClass' }, expect: false },
    ],
  },
  {
    source: 'karpenter NodePool (transition)',
    rule: 'has(self.replicas) == has(oldSelf.replicas)',
    cases: [
      { self: { replicas: 2 }, oldSelf: { replicas: 1 }, expect: true },
      { self: { replicas: 2 }, oldSelf: {}, expect: false },
    ],
  },
  {
    source: 'cert-manager issuer',
    rule: '(has(self.tpp) ? 1 : 0) + (has(self.cloud) ? 1 : 0) + (has(self.ngts) ? 1 : 0) == 1',
    cases: [
      { self: { cloud: {} }, expect: true },
      { self: { cloud: {}, tpp: {} }, expect: false },
    ],
  },
  {
    source: 'kubernetes docs: quantity',
    rule: "quantity(self.memory).isLessThan(quantity('2Gi')) && quantity(self.cpu).compareTo(quantity('100m')) >= 0",
    cases: [
      { self: { memory: '512Mi', cpu: '250m' }, expect: true },
      { self: { memory: '4Gi', cpu: '250m' }, expect: false },
    ],
  },
  {
    source: 'kubernetes docs: url',
    rule: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",
    cases: [
      { self: 'https://example.com/a', expect: true },
      { self: 'ftp://example.com', expect: false },
    ],
  },
  {
    source: 'kubernetes docs: cidr',
    rule: "cidr('10.0.0.0/8').containsIP(self) && !ip(self).isLoopback()",
    cases: [
      { self: '10.2.3.4', expect: true },
      { self: '192.168.0.1', expect: false },
    ],
  },
  {
    source: 'kubernetes docs: lists and sets',
    rule: "self.ports.isSorted() && self.ports.max() < 65536 && sets.contains(['TCP', 'UDP'], self.protocols)",
    cases: [
      { self: { ports: [80, 443], protocols: ['TCP'] }, expect: true },
      { self: { ports: [443, 80], protocols: ['TCP'] }, expect: false },
    ],
  },
  {
    source: 'kubernetes docs: optional',
    rule: "self.?spec.replicas.orValue(1) <= 5 && self.?spec.image.orValue('nginx').lowerAscii() == self.?spec.image.orValue('nginx')",
    cases: [
      { self: { spec: { replicas: 3, image: 'nginx' } }, expect: true },
      { self: { spec: { replicas: 9 } }, expect: false },
    ],
  },
  {
    source: 'kubernetes docs: immutability (transition)',
    rule: 'self == oldSelf',
    cases: [
      { self: { a: 'x' }, oldSelf: { a: 'x' }, expect: true },
      { self: { a: 'y' }, oldSelf: { a: 'x' }, expect: false },
    ],
  },
  {
    source: 'kubernetes docs: ext strings',
    rule: "self.replace('-', '_').upperAscii() == 'MY_APP' && self.charAt(0) == 'm' && self.indexOf('-') == 2",
    cases: [
      { self: 'my-app', expect: true },
      { self: 'my-app2', expect: false },
    ],
  },
];
