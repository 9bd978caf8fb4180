// The Go parsers behind query parameters, the watch timeout arithmetic and the long timer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchTimeoutMs } from '../../../src/apiserver/handlers/watch.js';
import { MAX_TIMER_MS, setLongTimer } from '../../../src/apiserver/http/long-timer.js';
import { pathSegmentErrors } from '../../../src/apiserver/http/path-segments.js';
import {
  GoParseError,
  goParseDuration,
  goParseInt64,
  goParseUint64,
  parseGoQuery,
  queryBool,
  queryOptionalBool,
  secondsToGoDuration,
} from '../../../src/apiserver/http/query.js';
import { type Clock, ManualClock } from '../../../src/core/index.js';

function goError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GoParseError);
    return err.message;
  }
  assert.fail('no error');
}

describe('query parameters, as apimachinery converts url.Values', () => {
  it('booleans (Convert_Slice_string_To_bool)', () => {
    const q = new URLSearchParams('a=True&b=&c&d=0&e=FaLsE&f=no&a=false');
    assert.equal(queryBool(q, 'a'), true); // the first value
    assert.equal(queryBool(q, 'b'), true);
    assert.equal(queryBool(q, 'c'), true);
    assert.equal(queryBool(q, 'd'), false);
    assert.equal(queryBool(q, 'e'), false);
    assert.equal(queryBool(q, 'f'), true);
    assert.equal(queryBool(q, 'absent'), false);
    assert.equal(queryOptionalBool(q, 'absent'), undefined);
  });

  it('url.ParseQuery: pairs with a semicolon or a bad escape dropped, + a space, bytes as UTF-8', () => {
    const pairs = (raw: string) => [...parseGoQuery(raw)];
    assert.deepEqual(pairs('a=1;b=2&c=3'), [['c', '3']]);
    assert.deepEqual(pairs('a=%zz&b=%4&c=%41%42&%64=x'), [
      ['c', 'AB'],
      ['d', 'x'],
    ]);
    assert.deepEqual(pairs('a=x+y%2By&&watch&=v'), [
      ['a', 'x y+y'],
      ['watch', ''],
      ['', 'v'],
    ]);
    assert.deepEqual(pairs('n=%C3%A9%FF'), [['n', 'é\uFFFD']]);
  });

  it('strconv.ParseInt and ParseUint', () => {
    assert.equal(goParseInt64('+42'), 42n);
    assert.equal(goParseInt64('-9223372036854775808'), -(2n ** 63n));
    assert.equal(
      goError(() => goParseInt64('')),
      'strconv.ParseInt: parsing "": invalid syntax',
    );
    assert.equal(
      goError(() => goParseInt64('1_000')),
      'strconv.ParseInt: parsing "1_000": invalid syntax',
    );
    assert.equal(
      goError(() => goParseInt64('9223372036854775808')),
      'strconv.ParseInt: parsing "9223372036854775808": value out of range',
    );
    assert.equal(goParseUint64('18446744073709551615'), 2n ** 64n - 1n);
    assert.equal(
      goError(() => goParseUint64('-1')),
      'strconv.ParseUint: parsing "-1": invalid syntax',
    );
  });

  it('time.ParseDuration', () => {
    assert.equal(goParseDuration('1h2m3.5s'), 3_723_500_000_000n);
    assert.equal(goParseDuration('-1.5ms'), -1_500_000n);
    assert.equal(goParseDuration('0'), 0n);
    assert.equal(goParseDuration('300µs'), 300_000n);
    assert.equal(
      goError(() => goParseDuration('')),
      'time: invalid duration ""',
    );
    assert.equal(
      goError(() => goParseDuration('.s')),
      'time: invalid duration ".s"',
    );
    assert.equal(
      goError(() => goParseDuration('10')),
      'time: missing unit in duration "10"',
    );
    assert.equal(
      goError(() => goParseDuration('3w')),
      'time: unknown unit "w" in duration "3w"',
    );
    assert.equal(
      goError(() => goParseDuration('9999999999h')),
      'time: invalid duration "9999999999h"',
    );
  });

  it('timeoutSeconds becomes a Go duration with Go wraparound', () => {
    assert.equal(secondsToGoDuration(30n), 30_000_000_000n);
    // 2^63-1 seconds: the product wraps to -1e9 ns in int64.
    assert.equal(secondsToGoDuration(2n ** 63n - 1n), -1_000_000_000n);
    assert.equal(watchTimeoutMs(undefined), 1_800_000);
    assert.equal(watchTimeoutMs(0n), 1_800_000);
    assert.equal(watchTimeoutMs(-5n), 0);
    assert.equal(watchTimeoutMs(2n ** 63n - 1n), 0);
    // Ten years: far past a Node timer, honoured.
    assert.equal(watchTimeoutMs(315_360_000n), 315_360_000_000);
  });

  it('path segment names (path.IsValidPathSegmentName)', () => {
    assert.deepEqual(pathSegmentErrors('..'), ["may not be '..'"]);
    assert.deepEqual(pathSegmentErrors('.'), ["may not be '.'"]);
    assert.deepEqual(pathSegmentErrors('a/b%c'), ["may not contain '/'", "may not contain '%'"]);
    assert.deepEqual(pathSegmentErrors('...'), []);
  });
});

describe('setLongTimer', () => {
  it('waits out delays past a Node timer in steps of the clock, and can be cancelled', () => {
    const manual = new ManualClock();
    const steps: number[] = [];
    const clock: Clock = {
      now: () => manual.now(),
      setTimer(fn, ms) {
        steps.push(ms);
        return manual.setTimer(fn, ms);
      },
    };
    let fired = 0;
    const tenYears = 315_360_000_000;
    setLongTimer(clock, () => fired++, tenYears);
    let waited = 0;
    while (waited + MAX_TIMER_MS < tenYears) {
      manual.advance(MAX_TIMER_MS);
      waited += MAX_TIMER_MS;
      assert.equal(fired, 0);
    }
    manual.advance(tenYears - waited);
    assert.equal(fired, 1);
    assert.equal(steps.length, Math.ceil(tenYears / MAX_TIMER_MS));
    assert.ok(steps.every((ms) => ms <= MAX_TIMER_MS));
    assert.equal(
      steps.reduce((a, b) => a + b, 0),
      tenYears,
    );
    const cancel = setLongTimer(clock, () => fired++, MAX_TIMER_MS * 3);
    manual.advance(MAX_TIMER_MS);
    cancel();
    manual.advance(MAX_TIMER_MS * 3);
    assert.equal(fired, 1);
    assert.equal(manual.pendingTimers(), 0);
    setLongTimer(clock, () => fired++, -10);
    manual.advance(0);
    assert.equal(fired, 2);
    setLongTimer(clock, () => fired++, Number.POSITIVE_INFINITY);
    assert.equal(manual.pendingTimers(), 0);
  });
});
