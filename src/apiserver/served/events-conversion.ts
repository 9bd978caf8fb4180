/**
 * Events are one store seen two ways (`pkg/apis/events/v1/conversion.go`): core `v1` Event and
 * `events.k8s.io/v1` Event. Objects are stored in the core form; the events.k8s.io endpoints
 * convert on the way in and out, field by field as the real server's conversion does
 * (`regarding` = `involvedObject`, `note` = `message`, `reportingController` =
 * `reportingComponent`, `deprecated*` = the old counters and source).
 */
import type { KubeObject } from '../../core/index.js';

/** A conversion between a served version and the stored form of a resource. */
export interface Conversion {
  /** Request form -> stored form. */
  toStorage(obj: KubeObject): KubeObject;
  /** Stored form -> request form. */
  fromStorage(obj: KubeObject): KubeObject;
}

function pick(pairs: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of pairs) if (v !== undefined) out[k] = v;
  return out;
}

/** core/v1 Event <-> events.k8s.io/v1 Event. */
export const EVENTS_V1_CONVERSION: Conversion = {
  toStorage(e) {
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: e.metadata,
      ...pick([
        ['involvedObject', e.regarding ?? {}],
        ['reason', e.reason],
        ['message', e.note],
        ['source', e.deprecatedSource],
        ['firstTimestamp', e.deprecatedFirstTimestamp],
        ['lastTimestamp', e.deprecatedLastTimestamp],
        ['count', e.deprecatedCount],
        ['type', e.type],
        ['eventTime', e.eventTime],
        ['series', e.series],
        ['action', e.action],
        ['related', e.related],
        ['reportingComponent', e.reportingController],
        ['reportingInstance', e.reportingInstance],
      ]),
    };
  },
  fromStorage(e) {
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: e.metadata,
      ...pick([
        ['eventTime', e.eventTime],
        ['series', e.series],
        ['reportingController', e.reportingComponent],
        ['reportingInstance', e.reportingInstance],
        ['action', e.action],
        ['reason', e.reason],
        ['regarding', e.involvedObject],
        ['related', e.related],
        ['note', e.message],
        ['type', e.type],
        ['deprecatedSource', e.source],
        ['deprecatedFirstTimestamp', e.firstTimestamp],
        ['deprecatedLastTimestamp', e.lastTimestamp],
        ['deprecatedCount', e.count],
      ]),
    };
  },
};
