/**
 * The API server's checks of a Deployment's rollout strategy (pkg/apis/apps/validation,
 * `ValidateDeploymentStrategy` and `ValidateRollingUpdateDeployment`), which the rollout
 * arithmetic relies on: `maxSurge` and `maxUnavailable` are non-negative integers or percentages,
 * not both zero, `maxUnavailable` at most 100%, and a Recreate strategy has no `rollingUpdate`.
 * Values render as Go's `%#v` of an `intstr.IntOrString`, as field errors of 1.33 print them.
 */
import { isPlainObject, type KubeObject, type StatusCause } from '../../core/index.js';
import { invalid } from '../errors/status-errors.js';

const PERCENT = /^[0-9]+%$/;
const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** `intstr.IntOrString` as `%#v` prints it. */
function goIntOrString(v: unknown): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${typeof v === 'number' ? v : 0}, StrVal:""}`;
}

/** `getIntOrPercentValue`: the number of an int or of a percent string. */
function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && PERCENT.test(v)) return Number(v.slice(0, -1));
  return 0;
}

function positiveIntOrPercent(v: unknown, field: string, causes: StatusCause[]): void {
  if (v === undefined || v === null) return;
  if (typeof v === 'string') {
    if (!PERCENT.test(v)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${goIntOrString(v)}: ${PERCENT_MSG}`,
        field,
      });
    }
  } else if (typeof v === 'number') {
    if (v < 0)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${v}: must be greater than or equal to 0`,
        field,
      });
  } else {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${goIntOrString(v)}: must be an integer or percentage (e.g '5%')`,
      field,
    });
  }
}

/** Throws the real server's 422 for a strategy the rollout cannot run. */
export function validateDeploymentStrategy(obj: KubeObject): void {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const strategy = isPlainObject(spec.strategy) ? spec.strategy : {};
  const causes: StatusCause[] = [];
  const path = 'spec.strategy';
  if (strategy.type === 'Recreate') {
    if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
      causes.push({
        reason: 'FieldValueForbidden',
        message: "Forbidden: may not be specified when strategy `type` is 'Recreate'",
        field: `${path}.rollingUpdate`,
      });
    }
  } else if (strategy.type === 'RollingUpdate' && isPlainObject(strategy.rollingUpdate)) {
    const { maxUnavailable, maxSurge } = strategy.rollingUpdate;
    positiveIntOrPercent(maxUnavailable, `${path}.rollingUpdate.maxUnavailable`, causes);
    positiveIntOrPercent(maxSurge, `${path}.rollingUpdate.maxSurge`, causes);
    if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${goIntOrString(maxUnavailable)}: may not be 0 when \`maxSurge\` is 0`,
        field: `${path}.rollingUpdate.maxUnavailable`,
      });
    }
    if (typeof maxUnavailable === 'string' && PERCENT.test(maxUnavailable) && intOrPercentValue(maxUnavailable) > 100) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${goIntOrString(maxUnavailable)}: must not be greater than 100%`,
        field: `${path}.rollingUpdate.maxUnavailable`,
      });
    }
  } else if (strategy.type !== 'RollingUpdate') {
    // field.NotSupported of the whole strategy struct, as `%#v` prints it.
    const rolling = strategy.rollingUpdate === undefined ? '(nil)' : '(0xc000000000)';
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: apps.DeploymentStrategy{Type:${JSON.stringify(String(strategy.type ?? ''))}, RollingUpdate:(*apps.RollingUpdateDeployment)${rolling}}: supported values: "Recreate", "RollingUpdate"`,
      field: path,
    });
  }
  if (causes.length > 0) {
    throw invalid(
      { group: 'apps', plural: 'deployments', kind: 'Deployment' },
      String(obj.metadata.name ?? ''),
      causes,
    );
  }
}
