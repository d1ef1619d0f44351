import { assertEquals } from "@std/assert";
import { parse } from "yaml";
import { parseSimpleYaml } from "../../src/kube/simple_yaml.ts";

/** Kubeconfigs as kubectl, client-go and other tools write them: read alike by both parsers. */
const WITHIN: Record<string, string> = {
  "kubectl's layout, sequences at their key's indent": `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi==
    server: https://127.0.0.1:6443
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    namespace: gateway-system
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: LS0tLS1=
    client-key-data: LS0tLS2=
`,
  "indented sequences, comments, quotes, flow mappings and typed scalars": `# written by hand
apiVersion: "v1"
kind: 'Config'
clusters:
  - name: "a # not a comment"
    cluster:
      server: https://10.0.0.1:443   # trailing comment
      insecure-skip-tls-verify: true
      proxy-url: ""
      tls-server-name: 'it''s "quoted"'
users:
  - name: exec
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: /usr/local/bin/get-token
        args:
          - --cluster
          - "prod"
          - token
        env:
          - name: DEBUG
            value: "1"
        provideClusterInfo: false
        interactiveMode: Never
      token: null
      retries: 3
contexts:
- name: c
  context: { cluster: a, user: exec, namespace: default }
current-context: c
extensions: []
nested:
- - a
  - b
- "c\\td\\"e\\\\f"
empty:
`,
  "the fake API server's kubeconfig": `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: https://127.0.0.1:1234
    certificate-authority: /tmp/ca.crt
users:
- name: tester
  user:
    tokenFile: "/tmp/token"
contexts:
- name: fake
  context: { cluster: fake, user: tester, namespace: default }
current-context: fake
`,
};

for (const [name, text] of Object.entries(WITHIN)) {
  Deno.test(`simple YAML reads ${name} as the yaml package does`, () => {
    const simple = parseSimpleYaml(text);
    assertEquals(simple === undefined, false, "within the subset");
    assertEquals(simple, parse(text));
  });
}

/** Past the subset: `undefined`, so the caller asks the yaml package. */
const PAST: Record<string, string> = {
  anchors: "a: &x 1\nb: *x\n",
  tags: "a: !!str 1\n",
  "block scalars": "a: |\n  line\n",
  "several documents": "a: 1\n---\nb: 2\n",
  "flow sequences with content": "a: [1, 2]\n",
  "nested flow mappings": "a: { b: { c: d } }\n",
  floats: "a: 1.5\n",
  "octal-looking numbers": "a: 0755\n",
  "signed floats": "a: -.inf\n",
  "multi-line plain scalars": "a: one\n  two\n",
  "unclosed quotes": 'a: "one\n  two"\n',
  tabs: "a:\n\tb: 1\n",
  "duplicate keys": "a: 1\na: 2\n",
  "unknown escapes": 'a: "\\u00e9"\n',
  "a document that is a scalar": "just text\n",
  "an empty document": "# nothing\n",
};

for (const [name, text] of Object.entries(PAST)) {
  Deno.test(`simple YAML leaves ${name} to the yaml package`, () => {
    assertEquals(parseSimpleYaml(text), undefined);
  });
}
