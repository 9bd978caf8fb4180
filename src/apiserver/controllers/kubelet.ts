/**
 * The simulated kubelets of every simulated Node, as one controller: a Pod bound to a Ready
 * simulated Node gets a Pod IP from the Node's `podCIDR` and goes through its script
 * (`pod-outcomes.ts`): containers creating, running, Ready, and for scripted outcomes exiting,
 * crash-looping with the kubelet's back-off (10 s doubling to 5 min) or failing to pull.
 *
 * Deletion: a real kubelet sends SIGTERM, waits for the containers to stop (within the grace
 * period), writes the final status and deletes the Pod with grace 0. Here the containers stop
 * after `deletionDelayMs` (the full grace for `ignore-sigterm` Pods), then the same two writes
 * follow. Pods on a NotReady Node are left alone, as a kubelet that stopped reporting would.
 */
import { Node, Pod } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import { conditionOf, isFinished, isTerminating, num, specOf, statusOf } from './objects.js';
import { podScript } from './pod-outcomes.js';
import { type PodTrack, phaseOfStage, renderPodStatus } from './pod-status.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

const KUBELET = 'kubelet';
/** The kubelet's container restart back-off: 10 s, doubling, at most 5 min. */
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
/** How long `ErrImagePull` shows before `ImagePullBackOff`. */
const PULL_ERROR_MS = 1000;

/** Runs the Pods of the simulated Nodes. */
export class KubeletController implements BuiltinController {
  readonly name = 'kubelet' as const;
  private readonly tracks = new Map<string, PodTrack>();
  /** Node name -> Pod IPs in use. */
  private readonly ips = new Map<string, Set<string>>();

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Pod, (e) => {
      if (e.type === 'DELETED') this.forget(e.object.object.metadata.uid);
      else rt.enqueue(this.name, e.key);
    });
    rt.watch(Node, (e) => {
      // A Node that turns Ready again: its kubelet catches up with its Pods.
      const name = String(e.object.object.metadata.name);
      if (e.type === 'DELETED') return;
      for (const pod of rt.list(Pod)) if (specOf(pod.object).nodeName === name) rt.enqueue(this.name, pod.key);
    });
  }

  sync(key: string): void {
    const stored = this.rt.getByKey(Pod, key);
    if (!stored) return;
    const pod = stored.object;
    const nodeName = specOf(pod).nodeName;
    if (typeof nodeName !== 'string' || !this.rt.settings.nodeNames.includes(nodeName)) return;
    const node = this.rt.get(Node, undefined, nodeName);
    if (!node || conditionOf(node.object, 'Ready')?.status !== 'True') return;
    const uid = String(pod.metadata.uid);
    let track = this.tracks.get(uid);
    if (!track) {
      // A Pod that finished before the kubelet knew it (or was written finished): nothing to run.
      if (isFinished(pod)) return;
      track = this.admit(stored, node);
    }
    if (isTerminating(pod)) {
      this.terminate(stored, track);
      return;
    }
    this.step(stored, track);
    this.writeStatus(stored, track);
  }

  /** A new Pod on this kubelet: IPs and start time. */
  private admit(stored: StoredObject, node: StoredObject): PodTrack {
    const pod = stored.object;
    const nodeName = String(node.object.metadata.name);
    const addresses = statusOf(node.object).addresses;
    const internal = Array.isArray(addresses)
      ? (addresses as { type?: string; address?: string }[]).find((a) => a.type === 'InternalIP')?.address
      : undefined;
    const hostIP = internal ?? '172.18.0.2';
    const podIP = specOf(pod).hostNetwork === true ? hostIP : this.allocateIp(nodeName, node);
    const track: PodTrack = {
      uid: String(pod.metadata.uid),
      stage: 'creating',
      since: this.rt.cluster.clock.now(),
      ready: false,
      restarts: 0,
      podIP,
      hostIP,
      startTime: this.rt.timestamp(),
    };
    this.tracks.set(track.uid, track);
    return track;
  }

  /** Moves the Pod's script forward as far as the clock allows; arms the next step. */
  private step(stored: StoredObject, track: PodTrack): void {
    const script = podScript(stored.object, this.rt.settings);
    const clock = this.rt.cluster.clock;
    const restartPolicy = String(specOf(stored.object).restartPolicy ?? 'Always');
    for (;;) {
      const now = clock.now();
      let due: number | undefined;
      switch (track.stage) {
        case 'creating':
          due = track.since + script.startDelayMs;
          if (now < due) break;
          if (script.kind === 'image-pull-error') this.enter(track, 'pull-error', due);
          else this.startContainers(track, due);
          continue;
        case 'pull-error':
          due = track.since + PULL_ERROR_MS;
          if (now < due) break;
          this.enter(track, 'pull-backoff', due);
          continue;
        case 'running': {
          const readyAt = track.since + script.readyDelayMs;
          const exits = script.kind === 'exit' || script.kind === 'crash-loop';
          const exitAt = exits ? track.since + script.runMs : undefined;
          const canBeReady = script.kind !== 'never-ready' && script.kind !== 'crash-loop';
          if (canBeReady && !track.ready && (exitAt === undefined || readyAt < exitAt)) {
            if (now >= readyAt) track.ready = true;
            else due = readyAt;
          }
          if (exitAt !== undefined && (due === undefined || exitAt <= due)) {
            if (now >= exitAt) {
              this.exit(track, script.exitCode, restartPolicy, exitAt);
              continue;
            }
            due = due === undefined ? exitAt : Math.min(due, exitAt);
          }
          break;
        }
        case 'backoff':
          due = track.since + (track.backoffMs ?? BACKOFF_START_MS);
          if (now < due) break;
          this.startContainers(track, due);
          continue;
        default:
          break;
      }
      if (due !== undefined) this.rt.after(this.name, stored.key, due - now);
      return;
    }
  }

  private enter(track: PodTrack, stage: PodTrack['stage'], at: number): void {
    track.stage = stage;
    track.since = at;
  }

  private wallAt(clockMs: number): string {
    const wall = this.rt.now() - (this.rt.cluster.clock.now() - clockMs);
    return `${new Date(wall).toISOString().slice(0, 19)}Z`;
  }

  private startContainers(track: PodTrack, at: number): void {
    this.enter(track, 'running', at);
    track.ready = false;
    track.startedAt = this.wallAt(at);
  }

  private exit(track: PodTrack, code: number, restartPolicy: string, at: number): void {
    track.terminated = {
      exitCode: code,
      reason: code === 0 ? 'Completed' : 'Error',
      startedAt: track.startedAt ?? this.wallAt(at),
      finishedAt: this.wallAt(at),
    };
    track.ready = false;
    const restart = restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && code !== 0);
    if (!restart) {
      this.enter(track, 'exited', at);
      return;
    }
    track.restarts++;
    track.backoffMs = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** (track.restarts - 1));
    this.enter(track, 'backoff', at);
  }

  private writeStatus(stored: StoredObject, track: PodTrack): StoredObject | undefined {
    const next = copyOf(stored);
    next.status = renderPodStatus(stored.object, track, this.rt.timestamp());
    return this.rt.update(this.name, KUBELET, Pod, stored, next, 'status');
  }

  /** Stops a deleting Pod's containers after the delay, then deletes it with grace 0. */
  private terminate(stored: StoredObject, track: PodTrack): void {
    const clock = this.rt.cluster.clock;
    const script = podScript(stored.object, this.rt.settings);
    track.deletingSince ??= clock.now();
    if (track.stage !== 'stopped') {
      const grace = num(stored.object.metadata.deletionGracePeriodSeconds, 0) * 1000;
      const delay = script.kind === 'ignore-sigterm' ? grace : Math.min(grace, this.rt.settings.deletionDelayMs);
      const due = track.deletingSince + delay;
      if (clock.now() < due) {
        this.rt.after(this.name, stored.key, due - clock.now());
        return;
      }
      const running = track.stage === 'running';
      const killed = script.kind === 'ignore-sigterm';
      track.terminated = {
        exitCode: killed ? 137 : running ? 0 : (track.terminated?.exitCode ?? 0),
        reason: killed ? 'Error' : 'Completed',
        startedAt: track.startedAt ?? track.startTime,
        finishedAt: this.rt.timestamp(),
      };
      track.ready = false;
      this.enter(track, 'stopped', clock.now());
    }
    const written = this.writeStatus(stored, track) ?? stored;
    if (phaseOfStage(track) !== 'Running') this.rt.delete(this.name, KUBELET, Pod, written, 0);
  }

  private allocateIp(nodeName: string, node: StoredObject): string {
    const cidr = String(specOf(node.object).podCIDR ?? '10.244.0.0/24');
    const base = cidr.split('/')[0].split('.').slice(0, 3).join('.');
    let used = this.ips.get(nodeName);
    if (!used) {
      used = new Set();
      this.ips.set(nodeName, used);
    }
    for (let host = 2; host < 255; host++) {
      const ip = `${base}.${host}`;
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
    return `${base}.254`;
  }

  private forget(uid: string | undefined): void {
    const track = uid === undefined ? undefined : this.tracks.get(uid);
    if (!track) return;
    this.tracks.delete(track.uid);
    for (const used of this.ips.values()) used.delete(track.podIP);
  }
}
