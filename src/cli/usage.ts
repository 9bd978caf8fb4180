/**
 * Command-line usage errors: a bad subcommand or flag. The CLI prints the message and exits 2
 * (the convention of POSIX tools for usage errors).
 */
import { KloopError } from '../core/index.js';

/** A command-line usage error (code `KLOOP_CLI_USAGE`); the CLI exits 2. */
export class UsageError extends KloopError {
  constructor(message: string) {
    super('KLOOP_CLI_USAGE', message);
  }
}

/** Top-level help. */
export const USAGE = `Usage: kloop <command> [options]

Commands:
  apiserver   run the Kubernetes API server emulator (kloop apiserver --help)
  create api  add a resource and its controller to a project (kloop create --help)
  crd         print the CRDs of the resources a module defines (kloop crd --help)
  demo        run the examples under a scripted workload (kloop demo --help)
  init        create an operator project (kloop init --help)
  manifests   write the kustomize tree that deploys an operator module (kloop manifests --help)`;
