/**
 * The API server's checks of a Deployment's rollout strategy (pkg/apis/apps/validation,
 * `ValidateDeploymentStrategy` and `ValidateRollingUpdateDeployment`), which the rollout
 * arithmetic relies on: `maxSurge` and `maxUnavailable` are non-negative integers or percentages,
 * not both zero, `maxUnavailable` at most 100%, and a Recreate strategy has no `rollingUpdate`.
 * Values render as Go's `%#v` of an `intstr.IntOrString`, as field errors of 1.33 print them.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { type FieldErrors, GoSyntax } from './field-errors.js';

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

function positiveIntOrPercent(v: unknown, field: string, errs: FieldErrors): void {
  if (v === undefined || v === null) return;
  if (typeof v === 'string') {
    if (!PERCENT.test(v)) errs.invalid(field, new GoSyntax(goIntOrString(v)), PERCENT_MSG);
  } else if (typeof v === 'number') {
    if (v < 0) errs.invalid(field, v, 'must be greater than or equal to 0');
  } else {
    errs.invalid(field, new GoSyntax(goIntOrString(v)), "must be an integer or percentage (e.g '5%')");
  }
}

/**
 * `ValidateDeploymentStrategy`. A strategy without a type is the default (RollingUpdate, 25%/25%)
 * the real server's defaulting fills in, so it passes.
 */
export function validateDeploymentStrategy(obj: KubeObject, errs: FieldErrors): void {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const strategy = isPlainObject(spec.strategy) ? spec.strategy : {};
  const path = 'spec.strategy';
  if (strategy.type === undefined || strategy.type === null) return;
  if (strategy.type === 'Recreate') {
    if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
      errs.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'");
    }
  } else if (strategy.type === 'RollingUpdate' && isPlainObject(strategy.rollingUpdate)) {
    const { maxUnavailable, maxSurge } = strategy.rollingUpdate;
    positiveIntOrPercent(maxUnavailable, `${path}.rollingUpdate.maxUnavailable`, errs);
    positiveIntOrPercent(maxSurge, `${path}.rollingUpdate.maxSurge`, errs);
    // An absent one is defaulted to 25% upstream before this check.
    const given =
      maxUnavailable !== undefined && maxUnavailable !== null && maxSurge !== undefined && maxSurge !== null;
    if (given && intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
      errs.invalid(
        `${path}.rollingUpdate.maxUnavailable`,
        new GoSyntax(goIntOrString(maxUnavailable)),
        'may not be 0 when `maxSurge` is 0',
      );
    }
    if (typeof maxUnavailable === 'string' && PERCENT.test(maxUnavailable) && intOrPercentValue(maxUnavailable) > 100) {
      errs.invalid(
        `${path}.rollingUpdate.maxUnavailable`,
        new GoSyntax(goIntOrString(maxUnavailable)),
        'must not be greater than 100%',
      );
    }
  } else if (strategy.type !== 'RollingUpdate') {
    // field.NotSupported of the whole strategy struct, as `%#v` prints it.
    const rolling = strategy.rollingUpdate === undefined ? '(nil)' : '(0xc000000000)';
    errs.notSupported(
      path,
      new GoSyntax(
        `apps.DeploymentStrategy{Type:${JSON.stringify(String(strategy.type ?? ''))}, RollingUpdate:(*apps.RollingUpdateDeployment)${rolling}}`,
      ),
      ['Recreate', 'RollingUpdate'],
    );
  }
}
