/**
 * The shapes the page reads, taken from the server's own types so the two cannot drift: the
 * `/debug/kloop` document and the debug record (fields are only ever added to either).
 */
export type {
  HotLoopRecord,
  ReconcileRecord,
  RecordedSkip,
  RecordedWrite,
  SourceDescription,
  Trigger,
} from '../../src/controller/index.js';
export type { DashboardTotals, ObjectSize, WriteTotalsWithEstimate } from '../../src/manager/dashboard/hub.js';
export type {
  ControllerPoint,
  ControllerTotals,
  DashboardSample,
  InformerTotals,
} from '../../src/manager/dashboard/metrics-reader.js';
export type { ControllerDebugDescription, ManagerDescription } from '../../src/manager/debug-document.js';
