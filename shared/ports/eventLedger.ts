/** Remembers processed eventIDs so a redelivered event is a no-op. */
export interface EventLedger {
  isProcessed(eventId: string): Promise<boolean>;
  markProcessed(eventId: string, at: number): Promise<void>;
}
