/**
 * Reads the program the playground's editor holds, for "Your model" on /bench: the session this tab shows (kept in
 * sessionStorage across its pages), else the one opened last in any tab; the content a hidden page left in
 * localStorage wins over the saved record (it is newer). Read-only: nothing is written or taken over.
 */
import { PENDING_KEY, TAB_SESSION_KEY } from '$lib/state/session-keeper.svelte';
import { SessionStore, type SessionRecord } from '$lib/state/sessions';
import type { OwnProgram } from './own-model';

export async function readOwnProgram(): Promise<{ ok: true; program: OwnProgram } | { ok: false; message: string }> {
  const store = await SessionStore.open({ legacyStorage: null });
  if (!store.persistent) return { ok: false, message: `The playground's sessions cannot be read here: ${store.problem ?? 'no browser storage'}.` };
  let rec: SessionRecord | undefined;
  try {
    const tab = globalThis.sessionStorage?.getItem(TAB_SESSION_KEY);
    if (tab) rec = await store.get(tab);
  } catch {
    // no sessionStorage: the current session below
  }
  if (!rec) {
    const id = await store.getCurrent();
    if (id) rec = await store.get(id);
  }
  if (!rec) return { ok: false, message: 'No program is saved yet: open the playground, write a model, then come back.' };
  let code = rec.code;
  let data = rec.data as OwnProgram['data'];
  try {
    const raw = globalThis.localStorage?.getItem(`${PENDING_KEY}:${rec.id}`);
    const p = raw ? JSON.parse(raw) : null;
    if (p?.content && typeof p.content.code === 'string') {
      code = p.content.code;
      if (p.content.data && typeof p.content.data.name === 'string') data = p.content.data;
    }
  } catch {
    // a damaged pending copy: the saved record
  }
  return { ok: true, program: { code, data, name: rec.name } };
}
