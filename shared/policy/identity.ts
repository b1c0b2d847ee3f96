import type { PolicyDocument } from './types';

const ids = new WeakMap<PolicyDocument, number>();
let next = 1;

/**
 * A number naming a parsed document for as long as it lives. Documents are parsed once and cached, so
 * results that depend only on documents (escalation paths, a role's posture) can be remembered by these.
 */
export function documentId(doc: PolicyDocument): number {
  let id = ids.get(doc);
  if (id === undefined) {
    id = next++;
    ids.set(doc, id);
  }
  return id;
}
