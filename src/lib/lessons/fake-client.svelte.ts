/** A reactive stand-in for the TrainingClient's run state, for the rail's unit test. */
import type { RunStatus } from '$lib/worker/client.svelte';
import type { EpochLog } from '$lib/worker/protocol';

export class FakeClient {
  status = $state<RunStatus>('idle');
  history = $state.raw<EpochLog[]>([]);
  message = $state<string | null>(null);
  backend = $state.raw<{ actual: string } | null>(null);
}
