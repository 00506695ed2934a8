// Evaluate every check of the access proof with @cloud-copilot/iam-simulate, in one process.
// stdin: {"policies": {name: document}, "principals": {key: {"arn", "identity": [names],
//         "boundary": [names]}}, "checks": [{"principal", "action", "resource", "account",
//         "context", "resourcePolicy": name|null}]}
// stdout: [{"result": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"|"Error",
//          "deciding": [{"policy", "sid", "effect"}], "gaps": [...], "error": text}]
'use strict';
const path = require('path');
const { runSimulation } = require('@cloud-copilot/iam-simulate');
const { loadPolicy } = require('@cloud-copilot/iam-policy');

// iam-simulate's input validation drops two kinds of context keys it does not list for the
// action: kms:EncryptionContext:<key> (it recognises variable keys only after a '/', as in
// aws:ResourceTag/<key>) and the GitHub OIDC provider's claims (token.actions...:sub, :aud) on
// sts:AssumeRoleWithWebIdentity, so a policy testing them could never match. When that happens,
// the same request is evaluated again by the library's own core engine (authorize) with the
// context as given: the decision logic is unchanged, only that filter is bypassed.
const engine = path.dirname(require.resolve('@cloud-copilot/iam-simulate'));
const { authorize } = require(path.join(engine, 'core_engine', 'CoreSimulatorEngine.js'));
const { RequestContextImpl } = require(path.join(engine, 'requestContext.js'));
const { AwsRequestImpl } = require(path.join(engine, 'request', 'request.js'));
const { DiscoveryContextKeyConstraints } = require(path.join(engine, 'context_keys', 'discoveryContextKeyConstraints.js'));
const FILTERED_KEYS = /^(kms:encryptioncontext:|token\.actions\.githubusercontent\.com:)/i;

function authorizeWithFullContext(simulation) {
  const load = (p) => loadPolicy(p.policy, { name: p.name });
  return authorize({
    request: new AwsRequestImpl(
      simulation.request.principal,
      simulation.request.resource,
      simulation.request.action,
      new RequestContextImpl(simulation.request.contextVariables),
    ),
    sessionPolicy: undefined,
    identityPolicies: simulation.identityPolicies.map(load),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: simulation.resourcePolicy ? loadPolicy(simulation.resourcePolicy, { name: 'resource policy' }) : undefined,
    permissionBoundaries: simulation.permissionBoundaryPolicies ? simulation.permissionBoundaryPolicies.map(load) : undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: { blockPublicAccess: undefined } },
  });
}

function read() {
  return new Promise((resolve) => {
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
  });
}

function statements(analysis, kind) {
  const out = [];
  for (const s of (analysis && analysis[kind]) || []) {
    const explain = s.explain || {};
    out.push({
      policy: s.policyId || 'resource policy',
      sid: explain.identifier || '(no Sid)',
      effect: explain.effect || '',
    });
  }
  return out;
}

function explain(analysis) {
  // Explicit denies first (they decide), then what allowed; for an implicit deny, the policy
  // sets that had no matching Allow.
  const parts = [
    ['identityAnalysis', 'identity policy'],
    ['permissionBoundaryAnalysis', 'permissions boundary'],
    ['resourceAnalysis', 'resource policy'],
  ];
  const denies = [], allows = [], gaps = [];
  for (const [key, label] of parts) {
    const a = analysis[key];
    if (!a) continue;
    for (const s of statements(a, 'denyStatements')) denies.push({ ...s, policy: s.policy === 'resource policy' ? label : s.policy });
    for (const s of statements(a, 'allowStatements')) allows.push({ ...s, policy: s.policy === 'resource policy' ? label : s.policy });
    if (a.result === 'ImplicitlyDenied') gaps.push(label);
  }
  return { denies, allows, gaps };
}

async function main() {
  const input = await read();
  const results = new Array(input.checks.length);
  // Checks are independent: evaluate several at once (the engine awaits its data files).
  let next = 0;
  const worker = async () => {
    while (next < input.checks.length) {
      const index = next++;
      results[index] = await evaluateOne(input, input.checks[index]);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  process.stdout.write(JSON.stringify(results));
}

async function evaluateOne(input, check) {
  {
    // (one block per check; see main)
    const principal = input.principals[check.principal];
    const simulation = {
      request: {
        principal: principal.arn,
        action: check.action,
        resource: { resource: check.resource, accountId: check.account },
        contextVariables: check.context,
      },
      identityPolicies: principal.identity.map((name) => ({ name, policy: input.policies[name] })),
      permissionBoundaryPolicies: principal.boundary.length
        ? principal.boundary.map((name) => ({ name, policy: input.policies[name] }))
        : undefined,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: check.resourcePolicy ? input.policies[check.resourcePolicy] : undefined,
    };
    try {
      const response = await runSimulation(simulation, {});
      if (response.resultType === 'error') {
        return { result: 'Error', error: JSON.stringify(response.errors) };
      }
      const single = response.resultType === 'single' ? response.result : response.results[0];
      if (!single) {
        // a wildcard resource ("*") that no statement matches: no per-statement analysis
        return { result: response.overallResult, deciding: [], gaps: ['any statement for resource *'] };
      }
      let analysis = single.analysis;
      let result = response.overallResult;
      if ((single.ignoredContextKeys || []).some((key) => FILTERED_KEYS.test(key))) {
        analysis = authorizeWithFullContext(simulation);
        result = analysis.result;
      }
      const { denies, allows, gaps } = explain(analysis);
      return {
        result,
        deciding: result === 'Allowed' ? allows : denies,
        gaps: result === 'ImplicitlyDenied' ? gaps : [],
      };
    } catch (error) {
      return { result: 'Error', error: String(error && error.message ? error.message : error) };
    }
  }
}

main().catch((error) => {
  process.stderr.write(`evaluate.cjs: ${error && error.stack ? error.stack : error}\n`);
  process.exit(2);
});
