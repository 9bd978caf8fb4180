/**
 * Cron schedules as CronJobs write them (robfig/cron's standard parser, which the CronJob
 * controller uses): five fields (minute, hour, day of month, month, day of week) with `*`, `?`,
 * ranges, steps, lists and month/day names, or a macro (`@yearly`, `@monthly`, `@weekly`,
 * `@daily`, `@midnight`, `@hourly`). Times are UTC (`spec.timeZone` is not applied). Pure.
 */

/** A parsed schedule: the allowed values of each field. */
export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Day-of-month and day-of-week both restricted: either may match (cron's OR rule). */
  domOrDow: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function field(text: string, min: number, max: number, names?: string[], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const i = names?.indexOf(v.toLowerCase()) ?? -1;
    const n = i >= 0 ? i + nameBase : Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`value ${JSON.stringify(v)} out of range [${min}, ${max}]`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in ${JSON.stringify(part)}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = value(a);
      hi = value(b);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo > hi) throw new Error(`empty range ${JSON.stringify(part)}`);
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return out;
}

/** Parses a schedule; throws an Error with the parser's reason. */
export function parseCron(text: string): CronSchedule {
  const spec = MACROS[text.trim()] ?? text.trim();
  const parts = spec.split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected exactly 5 fields, found ${parts.length}: ${JSON.stringify(text)}`);
  const weekdays = field(parts[4], 0, 7, DAYS);
  if (weekdays.has(7)) weekdays.add(0);
  return {
    minutes: field(parts[0], 0, 59),
    hours: field(parts[1], 0, 23),
    days: field(parts[2], 1, 31),
    months: field(parts[3], 1, 12, MONTHS, 1),
    weekdays,
    domOrDow: !(parts[2] === '*' || parts[2] === '?') && !(parts[4] === '*' || parts[4] === '?'),
  };
}

/** The first scheduled time strictly after `after` (epoch ms), within five years. */
export function nextRun(schedule: CronSchedule, after: number): number | undefined {
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = after + 5 * 366 * 24 * 3600_000;
  while (t.getTime() < limit) {
    if (!schedule.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const dom = schedule.days.has(t.getUTCDate());
    const dow = schedule.weekdays.has(t.getUTCDay());
    if (!(schedule.domOrDow ? dom || dow : dom && dow)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t.getTime();
  }
  return undefined;
}
